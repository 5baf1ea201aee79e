// ussl-server's report-line writer (apps/server/output.hpp), shared by the
// event loops: whole lines, each loop's lines in the order it added them,
// nothing held back after a flush, on a pipe read by the test.
#include "server/output.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ussl::apps {
namespace {

// A pipe whose read end a thread drains into `text` until the write end closes.
class Pipe {
 public:
  Pipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw std::runtime_error("pipe2() failed");
    read_ = fds[0];
    write_ = fds[1];
    reader_ = std::thread([this] {
      std::array<char, 65536> chunk{};
      for (;;) {
        const ssize_t n = ::read(read_, chunk.data(), chunk.size());
        if (n <= 0) return;
        text_.append(chunk.data(), static_cast<std::size_t>(n));
      }
    });
  }
  ~Pipe() {
    close_writer();
    if (reader_.joinable()) reader_.join();
    ::close(read_);
  }
  int fd() const { return write_; }
  // Closes the write end and returns everything written to it.
  const std::string& finish() {
    close_writer();
    reader_.join();
    return text_;
  }

 private:
  void close_writer() {
    if (write_ >= 0) ::close(write_);
    write_ = -1;
  }
  int read_ = -1;
  int write_ = -1;
  std::string text_;
  std::thread reader_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// What a non-blocking pipe holds now, without waiting.
std::string drain(int fd) {
  std::string text;
  std::array<char, 4096> chunk{};
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n <= 0) return text;
    text.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

TEST(Output, NothingIsWrittenBeforeAFlushAndEverythingAfterIt) {
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK), 0);
  Output out(fds[1]);
  EXPECT_TRUE(out.empty());
  out.add_line("{\"event\":\"accepted\",\"conn\":1}");
  out.add_line("[1] handshake ok");
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(drain(fds[0]), "");  // held until a flush
  out.flush();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(drain(fds[0]), "{\"event\":\"accepted\",\"conn\":1}\n[1] handshake ok\n");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Output, WritesByItselfOnceItHoldsTheMostItMayHold) {
  Pipe pipe;
  Output out(pipe.fd());
  const std::string line(1023, 'x');  // 1 KiB with its newline
  for (std::size_t i = 0; i + 1 < Output::kFlushAt / 1024; ++i) out.add_line(line);
  EXPECT_FALSE(out.empty());
  out.add_line(line);  // kFlushAt bytes: written now, no flush() needed
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(pipe.finish().size(), Output::kFlushAt);
}

TEST(Output, IsDueOnceItHoldsABatchOfLines) {
  Pipe pipe;
  Output out(pipe.fd());
  const auto added = std::chrono::steady_clock::now();
  out.add_line(std::string(Output::kBatchAt - 2, 'x'));  // one byte short with its newline
  const bool due_short = out.due();
  // Not due by size; due by age only if this thread was held up for kBatchFor.
  if (std::chrono::steady_clock::now() - added < Output::kBatchFor) {
    EXPECT_FALSE(due_short);
  }
  out.add_line("");
  EXPECT_TRUE(out.due());
  out.flush();
  EXPECT_FALSE(out.due());  // nothing held is never due
  EXPECT_EQ(pipe.finish().size(), Output::kBatchAt);
}

TEST(Output, LinesOfLoopsAddingAtOnceStayWholeAndInEachLoopsOrder) {
  constexpr int kLoops = 4;
  constexpr int kLines = 5000;
  Pipe pipe;
  Output out(pipe.fd());
  std::vector<std::thread> loops;
  for (int loop = 0; loop < kLoops; ++loop) {
    loops.emplace_back([&out, loop] {
      for (int i = 0; i < kLines; ++i) {
        out.add_line("loop " + std::to_string(loop) + " line " + std::to_string(i) + " " + std::string(i % 97, '.'));
        if (i % 7 == 0) out.flush();
      }
      out.flush();
    });
  }
  for (auto& t : loops) t.join();
  std::map<int, int> next;  // loop -> the line number it should write next
  for (const std::string& line : lines_of(pipe.finish())) {
    int loop = -1;
    int i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "loop %d line %d", &loop, &i), 2) << line;
    ASSERT_EQ(line, "loop " + std::to_string(loop) + " line " + std::to_string(i) + " " + std::string(i % 97, '.'));
    ASSERT_EQ(i, next[loop]) << "loop " << loop << " out of order";
    ++next[loop];
  }
  for (int loop = 0; loop < kLoops; ++loop) EXPECT_EQ(next[loop], kLines);
}

}  // namespace
}  // namespace ussl::apps
