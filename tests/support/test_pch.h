// Precompiled for every test executable (tests/CMakeLists.txt, LOOPSNAP_PCH): Qt Test and the
// standard library, which are most of each test's compile time. Only headers that never change
// with the project: a project header here would rebuild every test on each edit.
#pragma once
#include <QtTest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>
#ifdef LOOPSNAP_PCH_WIDGETS
#include <QtWidgets>
#endif
