// http_app: a small JSON-over-HTTP service on sqler and cpp-httplib.
// Users, their address (sqler::ref) and their orders (std::vector<sqler::ref>); see README.md.
//
//   http_app [--host H] [--port N] [db_path]     (in-memory database without db_path)
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "sqler/sqler.hpp"

// ---------------------------------------------------------------- data model
// At namespace scope, not inside main: sqler reflects the member names, which needs that.
namespace shop {

// Strict types (sqler_strict): a request body, or a stored document, that lacks a member is an
// error naming it, instead of taking the member's default; this API wants every member sent.
struct Address {
  static constexpr bool sqler_strict = true;
  std::optional<std::string> street;
  std::string city;
  std::string country;
};

struct Order {
  static constexpr bool sqler_strict = true;
  std::string sku;
  int qty = 0;
  std::optional<double> price;
};

struct User {
  std::string name;
  int age = 0;
  std::optional<std::string> email;
  sqler::ref<Address> address;
  std::vector<sqler::ref<Order>> orders;
};

// POST /users body: the user's own fields plus the id of an existing address.
struct new_user {
  static constexpr bool sqler_strict = true;
  std::string name;
  int age = 0;
  std::optional<std::string> email;
  std::optional<std::int64_t> address_id;
};

}  // namespace shop

namespace {

using shop::Address;
using shop::Order;
using shop::User;

constexpr auto user_name = sqler::field<&User::name>;
constexpr auto user_age = sqler::field<&User::age>;
constexpr auto user_orders = sqler::field<&User::orders>;
constexpr auto address_city = sqler::field<&Address::city>;

constexpr std::int64_t default_limit = 50;
constexpr std::int64_t max_limit = 500;
constexpr std::size_t max_query_length = 200;  // q: keeps LIKE patterns small

// ---------------------------------------------------------------- errors

// A failure the client caused (or a missing resource): becomes {"error": ...} with `status`.
class http_error : public std::runtime_error {
 public:
  http_error(int status, std::string message, std::string member = {})
      : std::runtime_error(std::move(message)), status_(status), member_(std::move(member)) {}
  int status() const noexcept { return status_; }
  const std::string& member() const noexcept { return member_; }

 private:
  int status_;
  std::string member_;
};

// Response bodies are written as JSON text by sqler's encoder (sqler::to_json), which escapes
// strings and prints numbers in their shortest round-trip form.
void reply(httplib::Response& res, int status, const std::string& json) {
  res.status = status;
  res.set_content(json, "application/json");
}

void reply_error(httplib::Response& res, int status, std::string_view message,
                 std::string_view member = {}) {
  std::string body = "{\"error\":" + sqler::to_json(message);
  if (!member.empty()) body += ",\"member\":" + sqler::to_json(member);
  body += '}';
  reply(res, status, body);
}

// ---------------------------------------------------------------- request parsing

template <class Int>
std::optional<Int> parse_int(std::string_view s) {
  Int v{};
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc{} || p != end) return std::nullopt;
  return v;
}

std::int64_t path_id(const httplib::Request& req, std::size_t group, std::string_view what) {
  const std::string text = req.matches[static_cast<int>(group)].str();
  auto id = parse_int<std::int64_t>(text);
  if (!id) throw http_error(400, std::string(what) + " must be an integer, got \"" + text + '"');
  return *id;
}

// The first value of an integer query parameter, if present.
template <class Int>
std::optional<Int> int_param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string text = req.get_param_value(name);
  auto v = parse_int<Int>(text);
  if (!v) throw http_error(400, std::string(name) + " must be an integer, got \"" + text + '"');
  return v;
}

// Request bodies go through sqler's own codec: it rejects non-JSON, wrong types, out-of-range
// integers and missing required members, and names the member that failed.
template <class T>
T parse_body(const httplib::Request& req) {
  try {
    return sqler::from_json<T>(req.body);
  } catch (const sqler::decode_error& e) {
    throw http_error(400, "invalid request body: " + e.reason(),
                     e.path() == "<document>" ? std::string() : e.path());
  }
}

void require(bool ok, const char* message, const char* member) {
  if (!ok) throw http_error(400, message, member);
}

// ---------------------------------------------------------------- response bodies

// {"id": id, <the document's members>}: the document's JSON object with the id spliced in.
template <class T>
std::string with_id(std::int64_t id, const T& doc) {
  const std::string members = sqler::to_json(doc);  // "{...}"
  std::string out = "{\"id\":" + std::to_string(id);
  if (members.size() > 2) out += ',';
  out.append(members, 1);
  return out;
}

// A ref as the client sees it: the hydrated target with its id, {"id":N,"missing":true} when
// the target is gone, {"id":N} when it was not loaded, null when empty.
template <class X>
std::string ref_json(const sqler::ref<X>& r) {
  if (r.empty()) return "null";
  if (r.loaded()) return with_id(r.id(), r.get());
  return "{\"id\":" + std::to_string(r.id()) + (r.dangling() ? ",\"missing\":true}" : "}");
}

// The stored form of a ref ({"_table":...,"_id":...}) is replaced by the ref_json form.
std::string user_json(std::int64_t id, const User& u) {
  std::string out = "{\"id\":" + std::to_string(id);
  out += ",\"name\":" + sqler::to_json(u.name);
  out += ",\"age\":" + sqler::to_json(u.age);
  out += ",\"email\":" + sqler::to_json(u.email);
  out += ",\"address\":" + ref_json(u.address);
  out += ",\"orders\":[";
  for (std::size_t i = 0; i < u.orders.size(); ++i) {
    if (i > 0) out += ',';
    out += ref_json(u.orders[i]);
  }
  out += "]}";
  return out;
}

// ---------------------------------------------------------------- name search

// "contains q" as a LIKE pattern: q's own '%', '_' and '\\' are escaped, so they match
// themselves (SQLite's LIKE is ASCII case-insensitive).
std::string like_pattern(std::string_view q) { return "%" + sqler::escape_like(q, '\\') + "%"; }

// ---------------------------------------------------------------- the store

class store {
 public:
  explicit store(sqler::database db)
      : db_(std::move(db)), addresses(db_.collection<Address>()),
        orders(db_.collection<Order>()), users(db_.collection<User>()) {
    users.ensure_index(user_name);  // GET /users walks users in name order
    users.ensure_index(sqler::ref_id<&User::address>);
    addresses.ensure_index(address_city);
  }

  sqler::transaction transaction() { return db_.transaction(); }

 private:
  sqler::database db_;  // every server thread gets its own connection, in memory or on disk

 public:
  sqler::collection<Address> addresses;
  sqler::collection<Order> orders;
  sqler::collection<User> users;
};

// Loads a user's address and orders: one query per referenced table.
std::string load_user_json(store& s, std::int64_t id) {
  auto user =
      s.users.find(sqler::doc_id == id).with<&User::address, &User::orders>().first();
  if (!user) throw http_error(404, "user " + std::to_string(id) + " not found");
  return user_json(id, *user);
}

// One page of users with their addresses: 1 query for the page + 1 for the addresses.
template <class Query>
std::string list_users(const Query& query, std::int64_t limit) {
  auto page = query.limit(limit).template with<&User::address>().all_versioned();
  std::string out = "{\"users\":[";
  for (std::size_t i = 0; i < page.size(); ++i) {
    if (i > 0) out += ',';
    out += user_json(page[i].id, page[i].value);
  }
  out += "]}";
  return out;
}

// ---------------------------------------------------------------- routes

using handler = std::function<void(const httplib::Request&, httplib::Response&)>;

// Every handler runs inside this: the client's mistakes become 4xx JSON, anything else a
// logged 500 that never takes the server down.
httplib::Server::Handler guarded(handler h) {
  return [h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    try {
      h(req, res);
    } catch (const http_error& e) {
      reply_error(res, e.status(), e.what(), e.member());
    } catch (const sqler::not_found& e) {
      reply_error(res, 404, e.message());
    } catch (const sqler::busy_error& e) {
      std::fprintf(stderr, "http_app: %s %s: %s\n", req.method.c_str(), req.path.c_str(), e.what());
      reply_error(res, 503, "database busy, retry later");
    } catch (const std::exception& e) {
      // Includes a decode_error from a stored document: the server's data is wrong, not the
      // request, so it is not reported as a 400.
      std::fprintf(stderr, "http_app: %s %s: %s\n", req.method.c_str(), req.path.c_str(), e.what());
      reply_error(res, 500, "internal error");
    }
  };
}

void add_routes(httplib::Server& svr, store& s) {
  svr.Post("/addresses", guarded([&s](const httplib::Request& req, httplib::Response& res) {
    auto a = parse_body<Address>(req);
    require(!a.city.empty(), "city must not be empty", "city");
    require(!a.country.empty(), "country must not be empty", "country");
    const std::int64_t id = s.addresses.insert(a);
    reply(res, 201, with_id(id, a));
  }));

  svr.Post("/orders", guarded([&s](const httplib::Request& req, httplib::Response& res) {
    auto o = parse_body<Order>(req);
    require(!o.sku.empty(), "sku must not be empty", "sku");
    require(o.qty > 0, "qty must be positive", "qty");
    require(!o.price || *o.price >= 0, "price must not be negative", "price");
    const std::int64_t id = s.orders.insert(o);
    reply(res, 201, with_id(id, o));
  }));

  svr.Post("/users", guarded([&s](const httplib::Request& req, httplib::Response& res) {
    auto in = parse_body<shop::new_user>(req);
    require(!in.name.empty(), "name must not be empty", "name");
    require(in.age >= 0, "age must not be negative", "age");
    User u{std::move(in.name), in.age, std::move(in.email), {}, {}};
    // The check and the insert commit together, so the address cannot vanish in between.
    auto tx = s.transaction();
    if (in.address_id) {
      if (!s.addresses.contains(*in.address_id))
        throw http_error(404, "address " + std::to_string(*in.address_id) + " not found",
                         "address_id");
      u.address = *in.address_id;
    }
    const std::int64_t id = s.users.insert(u);
    tx.commit();
    reply(res, 201, load_user_json(s, id));
  }));

  svr.Get("/users", guarded([&s](const httplib::Request& req, httplib::Response& res) {
    const std::int64_t limit = int_param<std::int64_t>(req, "limit").value_or(default_limit);
    if (limit < 1 || limit > max_limit)
      throw http_error(400, "limit must be between 1 and " + std::to_string(max_limit));
    // Absent filters are bound as values that match everyone, so they add no query shapes:
    // min_age as INT_MIN, q as "" (pattern "%%"). Only city changes the SQL, so GET /users
    // runs exactly two shapes: with and without the sub-select through User::address.
    const int min_age = int_param<int>(req, "min_age").value_or(INT_MIN);
    const std::string q = req.get_param_value("q");
    if (q.size() > max_query_length)
      throw http_error(400, "q must be at most " + std::to_string(max_query_length) + " bytes");
    const auto base = user_age >= min_age && user_name.like(like_pattern(q), '\\');

    std::string body;
    if (req.has_param("city")) {
      const std::string city = req.get_param_value("city");
      const auto query =
          s.users.find(base && sqler::through<&User::address>(address_city == city))
              .order_by(user_name.asc(), sqler::doc_id.asc());
      body = list_users(query, limit);
    } else {
      const auto query = s.users.find(base).order_by(user_name.asc(), sqler::doc_id.asc());
      body = list_users(query, limit);
    }
    reply(res, 200, body);
  }));

  svr.Get(R"(/users/([^/]+))", guarded([&s](const httplib::Request& req, httplib::Response& res) {
    const std::int64_t id = path_id(req, 1, "user id");
    reply(res, 200, load_user_json(s, id));
  }));

  svr.Post(R"(/users/([^/]+)/orders/([^/]+))",
           guarded([&s](const httplib::Request& req, httplib::Response& res) {
             const std::int64_t user_id = path_id(req, 1, "user id");
             const std::int64_t order_id = path_id(req, 2, "order id");
             auto tx = s.transaction();
             auto user = s.users.get(user_id);
             if (!user) throw http_error(404, "user " + std::to_string(user_id) + " not found");
             if (!s.orders.contains(order_id))
               throw http_error(404, "order " + std::to_string(order_id) + " not found");
             for (const auto& r : user->orders)
               if (r.id() == order_id)
                 throw http_error(409, "order " + std::to_string(order_id) +
                                           " is already attached to user " +
                                           std::to_string(user_id));
             // One UPDATE appending to the stored array: no read-modify-write of the document.
             s.users.update(user_id, sqler::push(user_orders, order_id));
             tx.commit();
             reply(res, 200, load_user_json(s, user_id));
           }));

  // httplib's own 4xx/5xx (no route, bad request line, payload too large) get a JSON body too.
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        reply_error(res, res.status,
                    res.status == 404   ? "no such endpoint"
                    : res.status == 413 ? "request body too large (the limit is 1 MiB)"
                                        : "bad HTTP request");
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                               std::exception_ptr) { reply_error(res, 500, "internal error"); });
}

// ---------------------------------------------------------------- command line

struct options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::optional<std::string> db_path;
};

[[noreturn]] void usage(int code) {
  std::fprintf(code == 0 ? stdout : stderr,
               "usage: http_app [--host H] [--port N] [db_path]\n"
               "  --host H   address to listen on (default 127.0.0.1)\n"
               "  --port N   port, 0 for any free one (default 0); the port is printed as\n"
               "             \"listening on N\" once the server accepts connections\n"
               "  db_path    SQLite file to use; an in-memory database when omitted\n");
  std::exit(code);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") usage(0);
    if (a == "--port" || a == "--host") {
      if (i + 1 == argc) usage(2);
      const std::string_view v = argv[++i];
      if (a == "--host") {
        o.host = std::string(v);
      } else {
        auto port = parse_int<int>(v);
        if (!port || *port < 0 || *port > 65535) usage(2);
        o.port = *port;
      }
    } else if (!a.empty() && a.front() == '-') {
      usage(2);
    } else if (!o.db_path) {
      o.db_path = std::string(a);
    } else {
      usage(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse_args(argc, argv);

  // SIGINT/SIGTERM are blocked in every thread and taken by one waiting thread, which stops
  // the server from outside a signal handler; main then returns and closes the database.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  try {
    store s(opts.db_path ? sqler::database::open(*opts.db_path) : sqler::database::in_memory());

    httplib::Server svr;
    svr.set_payload_max_length(1 << 20);  // 1 MiB: bodies here are a few hundred bytes
    add_routes(svr, s);

    const int port = opts.port == 0 ? svr.bind_to_any_port(opts.host)
                                    : (svr.bind_to_port(opts.host, opts.port) ? opts.port : -1);
    if (port < 0) {
      std::fprintf(stderr, "http_app: cannot listen on %s:%d\n", opts.host.c_str(), opts.port);
      return 1;
    }

    std::atomic<bool> finished{false};
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      // stop() is a no-op until listen_after_bind() runs: a signal that lands in between
      // must wait for it.
      while (!finished && !svr.is_running())
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      svr.stop();
    });

    // The socket is already listening, so a client may connect as soon as it reads this.
    std::printf("listening on %d\n", port);
    std::fflush(stdout);
    const bool ok = svr.listen_after_bind();
    finished = true;
    pthread_kill(waiter.native_handle(), SIGTERM);  // wakes the waiter if listen failed
    waiter.join();
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_app: %s\n", e.what());
    return 1;
  }
}
