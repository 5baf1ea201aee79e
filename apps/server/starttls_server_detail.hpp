// Internal to starttls_server*.cpp: the binary protocols.
#pragma once

#include <memory>

#include "server/starttls_server.hpp"

namespace ussl::apps::starttls_server_detail {

std::unique_ptr<StarttlsSession> make_postgres(StarttlsBehaviour behaviour);
std::unique_ptr<StarttlsSession> make_ldap(StarttlsBehaviour behaviour);

}  // namespace ussl::apps::starttls_server_detail
