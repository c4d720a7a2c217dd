// Uses sqler the way a downstream project does: through the package's sqler::sqler target only.
// Shared by the find_package and add_subdirectory packaging tests. Exit code = failed checks.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <sqler/sqler.hpp>

namespace {

struct Book {
  std::string title;
  int year;
  std::vector<std::string> tags;
};

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
#ifdef SQLER_EXPECTED_VERSION
  check(std::string_view{SQLER_VERSION_STRING} == SQLER_EXPECTED_VERSION,
        "SQLER_VERSION_STRING matches the CMake package version");
#endif

  auto db = sqler::database::in_memory();
  auto books = db.collection<Book>();

  const auto dune = books.insert({"Dune", 1965, {"scifi"}});
  books.insert({"Neuromancer", 1984, {"scifi", "cyberpunk"}});
  books.insert({"Emma", 1815, {"classic"}});

  constexpr auto year = sqler::field<&Book::year>;
  constexpr auto tags = sqler::field<&Book::tags>;

  check(books.size() == 3, "three documents stored");
  check(books.find(year >= 1900).count() == 2, "two books from 1900 on");
  check(books.find(tags.contains(std::string{"scifi"})).count() == 2, "two scifi books");

  const auto newest = books.find(year >= 1900).order_by(year.desc()).limit(1).all();
  check(newest.size() == 1 && newest[0].title == "Neuromancer", "newest book is Neuromancer");

  const auto loaded = books.get(dune);
  check(loaded && loaded->title == "Dune" && loaded->year == 1965 && loaded->tags.size() == 1,
        "get() round-trips a document");

  books.replace(dune, {"Dune", 1966, {"scifi", "desert"}});
  check(books.find(year == 1966).count() == 1, "update() is visible to queries");

  {
    auto tx = db.transaction();
    books.insert({"Rolled back", 2000, {}});
  }  // no commit: the guard rolls back
  check(books.size() == 3, "an uncommitted transaction leaves no trace");

  check(books.remove(dune) && !books.contains(dune), "remove() deletes by id");

  if (failures == 0) std::printf("sqler %s consumer: all checks passed\n", SQLER_VERSION_STRING);
  return failures;
}
