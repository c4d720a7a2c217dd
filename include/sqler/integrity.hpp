// sqler/integrity.hpp - what refers to a document, and what to do about it on delete.
//
// Every collection records in `sqler_refs` which tables its documents can reference (known at
// compile time from its sqler::ref<X> members, however deeply nested). Removing documents
// (collection::remove(id), query::remove()) looks for referrers only in the tables registered
// as referring to their table, with json_tree, so refs inside arrays and sub-objects are found
// too; documents removed together never block each other. The policies:
//   restrict  (default) throw sqler::referential_error naming the referrers; nothing changes
//   set_null  rewrite every referring ref to null (array slots stay, as null)
//   cascade   delete the referrers too, recursively; terminates on cycles
// Each runs in one transaction: on any error, nothing changes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"

namespace sqler {

enum class on_referenced { restrict, cascade, set_null };


// A document holding a ref: its collection, _id and the ref's path in it ("friends[1]").
struct referrer {
  std::string collection;
  std::int64_t id = 0;
  std::string path;
  friend bool operator==(const referrer&, const referrer&) = default;
};

// A ref whose target does not exist, as found by database::validate_references().
struct dangling_reference {
  std::string collection;  // where the ref is stored
  std::int64_t id = 0;     // the _id of the document holding it
  std::string path;        // e.g. "address", "friends[1]", "orders[0].product"
  std::string target_collection;
  std::int64_t target_id = 0;
  friend bool operator==(const dangling_reference&, const dangling_reference&) = default;
};

// remove(id) with on_referenced::restrict found documents still referring to the target.
class referential_error : public constraint_error {
 public:
  referential_error(std::string_view table, std::int64_t id, std::vector<referrer> referrers,
                    std::string_view hint = "; remove them first or pass "
                                            "sqler::on_referenced::cascade or ::set_null")
      : constraint_error(result_code::constraint_foreign_key, describe(table, id, referrers, hint)),
        referrers_(std::move(referrers)) {}
  const std::vector<referrer>& referrers() const noexcept { return referrers_; }

 private:
  static std::string describe(std::string_view table, std::int64_t id,
                              const std::vector<referrer>& rs, std::string_view hint) {
    std::string msg = detail::str_cat({"sqler: cannot remove _id ", std::to_string(id), " from \"",
                                       table, "\": still referenced by"});
    std::size_t shown = 0;
    for (const auto& r : rs) {
      if (shown++ == 8) {
        msg += detail::str_cat({" and ", std::to_string(rs.size() - 8), " more"});
        break;
      }
      msg += detail::str_cat({shown == 1 ? " " : ", ", r.collection, " _id ",
                              std::to_string(r.id), " (", r.path, ")"});
    }
    msg += hint;
    return msg;
  }
  std::vector<referrer> referrers_;
};

}  // namespace sqler
