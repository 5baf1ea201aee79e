// The ussl library: MicroPython's ussl module semantics on wolfSSL.
#pragma once

#include "ussl/certificate.hpp"
#include "ussl/error.hpp"
#include "ussl/hello.hpp"
#include "ussl/names.hpp"
#include "ussl/options.hpp"
#include "ussl/record.hpp"
#include "ussl/socket.hpp"
#include "ussl/transport.hpp"
