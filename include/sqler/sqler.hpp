// sqler/sqler.hpp - everything for SQLite: include this one header.
// Plain aggregate structs stored as JSON documents in SQLite, queried with a typed DSL.
#pragma once

#include "sqler/backend.hpp"
#include "sqler/codec.hpp"
#include "sqler/collection.hpp"
#include "sqler/customize.hpp"
#include "sqler/database.hpp"
#include "sqler/error.hpp"
#include "sqler/field.hpp"
#include "sqler/index_where.hpp"
#include "sqler/integrity.hpp"
#include "sqler/migrate.hpp"
#include "sqler/patch.hpp"
#include "sqler/profiler.hpp"
#include "sqler/query.hpp"
#include "sqler/query_event.hpp"
#include "sqler/ref.hpp"
#include "sqler/relations.hpp"
#include "sqler/transaction.hpp"
#include "sqler/version.hpp"
