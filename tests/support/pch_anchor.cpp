// The one source of each precompiled-header target in tests/CMakeLists.txt (tests_pch_*): the
// headers are compiled once there and every test executable reuses them (REUSE_FROM).
