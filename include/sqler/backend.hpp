// sqler/backend.hpp - the databases sqler stores documents in, as tags.
// collection<T, Backend> and the queries made from it are the same templates for every backend;
// sqler::database (SQLite) and sqler::postgres::database hand out the right ones.
#pragma once

namespace sqler {

struct sqlite_backend {};
struct postgres_backend {};

template <class T, class Backend = sqlite_backend>
class collection;

template <class T, class Pred, class Order, bool Limit, bool Offset, class Backend = sqlite_backend>
class query;

}  // namespace sqler
