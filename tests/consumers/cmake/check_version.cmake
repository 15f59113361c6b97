# check_version.cmake: what the installed simdrop-config-version.cmake answers to a request.
#   cmake -DVERSION_FILE=<dir>/simdrop-config-version.cmake -DREQUEST=1.0 -DEXPECT=TRUE \
#         [-DRANGE_MAX=1.9] -P check_version.cmake
# REQUEST is what find_package(simdrop REQUEST) asks (REQUEST...RANGE_MAX with RANGE_MAX);
# EXPECT is TRUE or FALSE (PACKAGE_VERSION_COMPATIBLE). Exits nonzero when they differ.
set(CMAKE_SIZEOF_VOID_P "") # script mode has no compiler; the bit-width check is skipped
if(DEFINED RANGE_MAX)
  set(PACKAGE_FIND_VERSION_RANGE "${REQUEST}...${RANGE_MAX}")
  set(PACKAGE_FIND_VERSION_RANGE_MIN INCLUDE)
  set(PACKAGE_FIND_VERSION_RANGE_MAX INCLUDE)
  set(PACKAGE_FIND_VERSION_MAX "${RANGE_MAX}")
  string(REGEX MATCH "^[0-9]+" PACKAGE_FIND_VERSION_MAX_MAJOR "${RANGE_MAX}")
  set(PACKAGE_FIND_VERSION_MIN "${REQUEST}")
  string(REGEX MATCH "^[0-9]+" PACKAGE_FIND_VERSION_MIN_MAJOR "${REQUEST}")
endif()
set(PACKAGE_FIND_VERSION "${REQUEST}")
string(REGEX MATCH "^[0-9]+" PACKAGE_FIND_VERSION_MAJOR "${REQUEST}")
include("${VERSION_FILE}")
if(NOT PACKAGE_VERSION_COMPATIBLE)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
set(what "simdrop ${PACKAGE_VERSION} for find_package(simdrop ${REQUEST}")
if(DEFINED RANGE_MAX)
  string(APPEND what "...${RANGE_MAX}")
endif()
if(NOT PACKAGE_VERSION_COMPATIBLE STREQUAL EXPECT)
  message(FATAL_ERROR "${what}): compatible ${PACKAGE_VERSION_COMPATIBLE}, expected ${EXPECT}")
endif()
message(STATUS "${what}): compatible ${PACKAGE_VERSION_COMPATIBLE}, as expected")
