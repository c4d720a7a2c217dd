// tests/support/temp_db_file.hpp - a database file of its own per test, removed with its WAL
// side files afterwards. Named after the running test, so a leftover file says who left it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

namespace sqler_test {

class temp_db_file {
 public:
  temp_db_file() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "sqler_";
    if (info != nullptr) name += std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : name)
      if (c == '/') c = '_';
    name += "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".db";
    path_ = (std::filesystem::temp_directory_path() / name).string();
    remove_files();
  }
  temp_db_file(const temp_db_file&) = delete;
  temp_db_file& operator=(const temp_db_file&) = delete;
  ~temp_db_file() { remove_files(); }

  const std::string& path() const noexcept { return path_; }

 private:
  void remove_files() const {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::filesystem::remove(path_ + suffix, ec);
  }
  std::string path_;
};

}  // namespace sqler_test
