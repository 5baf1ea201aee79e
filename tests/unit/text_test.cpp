// escape_text: every string from the network goes through it before a
// terminal or a log sees it.
#include "common/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using ussl::apps::escape_text;

TEST(EscapeTextTest, TerminalTitleEscapeIsPrintedAsItsCharacters) {
  EXPECT_EQ(escape_text("\x1b]0;pwned\x07"), R"(\x1b]0;pwned\x07)");
}

TEST(EscapeTextTest, AnsiColourSequenceCannotReachTheTerminal) {
  EXPECT_EQ(escape_text("\x1b[31mred\x1b[0m"), R"(\x1b[31mred\x1b[0m)");
}

TEST(EscapeTextTest, NulTabNewlineCarriageReturnAndDeleteAreEscaped) {
  EXPECT_EQ(escape_text(std::string("a\0b", 3)), R"(a\x00b)");
  EXPECT_EQ(escape_text("a\tb\nc\rd\x7f"), R"(a\tb\nc\rd\x7f)");
}

TEST(EscapeTextTest, BackslashIsDoubledSoEscapesAreUnambiguous) { EXPECT_EQ(escape_text(R"(C:\x1b)"), R"(C:\\x1b)"); }

TEST(EscapeTextTest, PrintableAsciiAndUtf8LettersAreUnchanged) {
  EXPECT_EQ(escape_text("CN=localhost, O=ussl test"), "CN=localhost, O=ussl test");
  EXPECT_EQ(escape_text("O=B\xc3\xbc"
                        "cher \xe6\x97\xa5\xe6\x9c\xac"),
            "O=B\xc3\xbc"
            "cher \xe6\x97\xa5\xe6\x9c\xac");
}

TEST(EscapeTextTest, InvalidUtf8BytesAreEscapedOneByOne) {
  EXPECT_EQ(escape_text("a\xff"
                        "b"),
            R"(a\xffb)");
  EXPECT_EQ(escape_text("\xc0\xaf"), R"(\xc0\xaf)");          // overlong '/'
  EXPECT_EQ(escape_text("\xed\xa0\x80"), R"(\xed\xa0\x80)");  // a surrogate
  EXPECT_EQ(escape_text("\xe6\x97"), R"(\xe6\x97)");          // truncated
}

TEST(EscapeTextTest, C1ControlsAndInvisibleDirectionMarksAreEscaped) {
  EXPECT_EQ(escape_text("\xc2\x9b"
                        "31m"),
            R"(\u{009B}31m)");  // CSI as a C1 control
  EXPECT_EQ(escape_text("abc\xe2\x80\xae"
                        "fed"),
            R"(abc\u{202E}fed)");  // right-to-left override
}

}  // namespace
