// JsonWriter (apps/common/json_writer.hpp) against nlohmann's dump, which the
// rest of the reports use: the same bytes for strings (escapes, UTF-8, invalid
// UTF-8 replaced), numbers and nesting.
#include "common/json_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/report.hpp"

namespace ussl::apps {
namespace {

std::string writer_string(const std::string& text) {
  JsonWriter w;
  w.value(text);
  return w.str();
}

std::string writer_double(double number) {
  JsonWriter w;
  w.value(number);
  return w.str();
}

TEST(JsonWriter, WritesStringsAsNlohmannDumpsThemWithReplacement) {
  const std::vector<std::string> samples = {
      "",
      "plain ascii, with / and ~",
      "quote \" backslash \\ end",
      "controls \x01\x02\x1f\x7f and \b\f\n\r\t",
      std::string("nul \0 inside", 12),
      "\x1b[31mred\x1b[0m",
      "b\xC3\xBC"
      "cher.example",                              // U+00FC
      "\xE2\x82\xAC euro, \xF0\x9F\x94\x92 lock",  // 3- and 4-byte sequences
      "\xC3",                                      // truncated at the end
      "\xC3(",                                     // truncated before ASCII
      "\xE2\x82",                                  // truncated 3-byte
      "\xE2\x82(x",                                // truncated 3-byte before ASCII
      "\x80 lone continuation",
      "\xC0\xAF overlong slash",
      "\xE0\x80\xAF overlong 3-byte",
      "\xED\xA0\x80 surrogate",
      "\xF4\x90\x80\x80 above U+10FFFF",
      "\xF5\x80 invalid lead",
      "\xFF\xFE",
      "mixed \xC3\xBC\xFF\xE2\x82\xAC\xF0\x9F",
  };
  for (const auto& s : samples) {
    EXPECT_EQ(writer_string(s), Json(s).dump(-1, ' ', false, Json::error_handler_t::replace)) << "input: " << s;
  }
}

TEST(JsonWriter, WritesDoublesAsNlohmannDumpsThem) {
  std::vector<double> samples = {0.0,       -0.0,      1.0,       -1.0,      0.5,
                                 0.001,     0.0001,    0.00001,   1e-7,      123.456,
                                 364.99998, -12.34567, 1e15,      1e16,      123456789012345.0,
                                 1e100,     2.5e-300,  0.1 + 0.2, 1.0 / 3.0, 86400.0,
                                 9.06,      438.125,   1e14};
  std::mt19937_64 rng(12);  // fixed seed: the same values every run
  std::uniform_real_distribution<double> days(-400.0, 4000.0);
  std::uniform_real_distribution<double> ms(0.0, 60000.0);
  for (int i = 0; i < 2000; ++i) {
    samples.push_back(std::round(days(rng) * 1e5) / 1e5);
    samples.push_back(std::round(ms(rng) * 1000.0) / 1000.0);
  }
  for (const double d : samples) EXPECT_EQ(writer_double(d), Json(d).dump()) << "value: " << d;
  EXPECT_EQ(writer_double(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(writer_double(std::numeric_limits<double>::infinity()), "null");
}

TEST(JsonWriter, NestsObjectsAndArraysWithCommasWhereNlohmannPutsThem) {
  JsonWriter w;
  w.begin_object();
  w.field("a", 1).field("b", std::uint64_t{18446744073709551615ULL}).field("c", -5);
  w.key("d").begin_array().value(true).value(false).null().begin_object().end_object().begin_array().end_array();
  w.end_array();
  w.field("e", std::optional<std::string>{}).field("f", std::optional<std::string>{"x"});
  w.key("g").raw(R"({"cached":[1,2]})");
  w.key("h").begin_object().field("i", "j").end_object();
  w.end_object();
  const Json expected = Json{{"a", 1},
                             {"b", 18446744073709551615ULL},
                             {"c", -5},
                             {"d", Json::array({true, false, nullptr, Json::object(), Json::array()})},
                             {"e", nullptr},
                             {"f", "x"},
                             {"g", Json{{"cached", {1, 2}}}},
                             {"h", Json{{"i", "j"}}}};
  EXPECT_EQ(w.str(), expected.dump());
}

TEST(JsonWriter, ThrowsLogicErrorWhenAContainerIsClosedThatWasNeverOpened) {
  JsonWriter w;
  EXPECT_THROW(w.end_object(), std::logic_error);
}

}  // namespace
}  // namespace ussl::apps
