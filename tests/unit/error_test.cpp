// The error model's tables: kind names and alert descriptions.
#include "support.hpp"

namespace ussl::test {
namespace {

TEST(ErrorTables, EveryKindHasItsStableName) {
  EXPECT_EQ(error_kind_name(ErrorKind::resolve_failed), "resolve_failed");
  EXPECT_EQ(error_kind_name(ErrorKind::cert_expired), "cert_expired");
  EXPECT_EQ(error_kind_name(ErrorKind::starttls_injection), "starttls_injection");
  EXPECT_EQ(error_kind_errno(ErrorKind::connection_reset), ECONNRESET);
  EXPECT_EQ(make_error_code(ErrorKind::timeout).message(), "operation timed out");
}

TEST(ErrorTables, AlertDescriptionsHaveTheirIanaNamesAndUnlistedValuesAreNumbered) {
  EXPECT_EQ(alert_name(AlertDescription::certificate_required), "certificate_required");
  EXPECT_EQ(alert_name(116), "certificate_required");
  EXPECT_EQ(alert_name(0), "close_notify");
  EXPECT_EQ(alert_name(200), "alert_200");
  EXPECT_EQ(alert_description(112), AlertDescription::unrecognized_name);
  EXPECT_FALSE(alert_description(200));
  EXPECT_FALSE(alert_description(-1));
  EXPECT_FALSE(alert_description(300));
}

TEST(ErrorTables, AnErrorNamesTheAlertItCarries) {
  const Error e(ErrorKind::alert_received, "x", -313, 42);
  EXPECT_EQ(e.alert_description(), AlertDescription::bad_certificate);
  EXPECT_FALSE(Error(ErrorKind::timeout, "x").alert_description());
}

}  // namespace
}  // namespace ussl::test
