// sqler/version.hpp - the library version.
#pragma once

#define SQLER_VERSION_MAJOR 0
#define SQLER_VERSION_MINOR 2
#define SQLER_VERSION_PATCH 0
#define SQLER_VERSION_STRING "0.2.0"
