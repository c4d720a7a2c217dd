#include "model.hpp"

// Keyset pagination reads the key from the last document; an element may not be there.
auto mistake(sqler::collection<cf::User>& users, const cf::User& last) {
  constexpr auto first_num = sqler::field<&cf::User::nums>.at<0>();
  return users.find().order_by(first_num.asc(), sqler::doc_id.asc()).after(last, 1).sql();
}
