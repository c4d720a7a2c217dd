// sqler/detail/dsl/ops.hpp - the operators an expression node can carry, as tags.
// Their spelling lives in the dialects (detail/sql/standard.hpp).
#pragma once

namespace sqler::detail {

struct eq_op {};
struct ne_op {};
struct lt_op {};
struct le_op {};
struct gt_op {};
struct ge_op {};
struct like_op {};
struct and_op {};
struct or_op {};
struct add_op {};
struct sub_op {};
struct mul_op {};
struct div_op {};

}  // namespace sqler::detail
