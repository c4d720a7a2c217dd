// sqler/sqler.hpp - everything: include this one header.
// Plain aggregate structs stored as JSON documents in SQLite, queried with a typed DSL.
#pragma once

#include "sqler/codec.hpp"
#include "sqler/collection.hpp"
#include "sqler/database.hpp"
#include "sqler/error.hpp"
#include "sqler/expr.hpp"
#include "sqler/customize.hpp"
#include "sqler/integrity.hpp"
#include "sqler/migrate.hpp"
#include "sqler/patch.hpp"
#include "sqler/profiler.hpp"
#include "sqler/promoted.hpp"
#include "sqler/query.hpp"
#include "sqler/query_event.hpp"
#include "sqler/ref.hpp"
#include "sqler/relations.hpp"
#include "sqler/render.hpp"
#include "sqler/transaction.hpp"
#include "sqler/version.hpp"
