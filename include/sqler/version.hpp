// sqler/version.hpp - the library version.
#pragma once

#define SQLER_VERSION_MAJOR 0
#define SQLER_VERSION_MINOR 1
#define SQLER_VERSION_PATCH 0
#define SQLER_VERSION_STRING "0.1.0"
