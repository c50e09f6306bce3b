// Precompiled for every source of loopsnap_ui (ui/CMakeLists.txt, LOOPSNAP_USE_PCH): Qt's headers
// are most of each file's compile time. Only headers that never change with the project.
#pragma once
#include <QtConcurrent>
#include <QtWidgets>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>
