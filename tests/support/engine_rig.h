// A backend under test for the Engine suites: files in a temporary folder, or a MemoryBackend
// shared by every Engine of the test (its devices outlive an Engine, as files do). Rows named
// "memory" and "files" (backendRows) run a test on both.
#pragma once

#include <QtTest>

#include <memory>
#include <string>
#include <vector>

#include "core/backend/backend.h"
#include "core/engine/engine.h"
#include "support/test_support.h"

namespace loopsnap::test {

struct Rig {
    TempDir dir;
    bool memory;
    std::shared_ptr<MemoryBackend> mem;
    explicit Rig(bool useMemory) : memory(useMemory) {
        if (memory) mem = makeMemoryBackend({});
    }
    std::string path(const std::string& name) const { return memory ? "/mem/" + name : dir.file(name); }
    void makeDevice(const std::string& name, const std::vector<std::byte>& content) {
        if (memory) {
            QVERIFY(createMemoryDevice(*mem, path(name), content.size()).ok());
            QVERIFY(rawMemoryDevice(*mem, path(name)).value()->write(0, content).ok());
        } else {
            writeFile(path(name), content);
        }
    }
    std::vector<std::byte> contents(const std::string& name) {
        if (memory) return readAll(*rawMemoryDevice(*mem, path(name)).value());
        return readFile(path(name));
    }
    std::unique_ptr<Engine> engine() {
        EngineOptions o;
        o.workspaceDir = dir.file("ws");
        if (memory) o.backendInstance = asBackend(mem);
        auto e = Engine::open(o);
        if (!e.ok()) qFatal("Engine::open: %s", e.error().toString().c_str());
        return std::move(e).value();
    }
};

inline void backendRows() {
    QTest::addColumn<bool>("memory");
    QTest::newRow("memory") << true;
    QTest::newRow("files") << false;
}

}  // namespace loopsnap::test
