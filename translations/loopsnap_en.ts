<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>loopsnap::ui::CloneSummaryPage</name>
    <message numerus="yes">
        <source>Hydration starts at once: %n region(s) in flight, batches of %1.</source>
        <translation>
            <numerusform>Hydration starts at once: %n region in flight, batches of %1.</numerusform>
            <numerusform>Hydration starts at once: %n regions in flight, batches of %1.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::CrashLabPage</name>
    <message numerus="yes">
        <source>Leaked COW chunk(s): %1</source>
        <translation>
            <numerusform>Leaked COW chunk: %1</numerusform>
            <numerusform>Leaked COW chunks: %1</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::DeviceTreeModel</name>
    <message numerus="yes">
        <source>%n snapshot(s)</source>
        <translation>
            <numerusform>%n snapshot</numerusform>
            <numerusform>%n snapshots</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::ExceptionMonitorPage</name>
    <message numerus="yes">
        <source>%n event(s) of this snapshot were dropped: resynced from the engine&apos;s status.</source>
        <translation>
            <numerusform>%n event of this snapshot was dropped: resynced from the engine&apos;s status.</numerusform>
            <numerusform>%n events of this snapshot were dropped: resynced from the engine&apos;s status.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::HydrationDashboardPage</name>
    <message numerus="yes">
        <source>%n event(s) of this clone were dropped: resynced from the engine&apos;s status.</source>
        <translation>
            <numerusform>%n event of this clone was dropped: resynced from the engine&apos;s status.</numerusform>
            <numerusform>%n events of this clone were dropped: resynced from the engine&apos;s status.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::MainWindow</name>
    <message numerus="yes">
        <source>Workspace %1 · %n origin(s)</source>
        <translation>
            <numerusform>Workspace %1 · %n origin</numerusform>
            <numerusform>Workspace %1 · %n origins</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> · %n snapshot(s)</source>
        <translation>
            <numerusform> · %n snapshot</numerusform>
            <numerusform> · %n snapshots</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> · %n clone(s)</source>
        <translation>
            <numerusform> · %n clone</numerusform>
            <numerusform> · %n clones</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::MergeDialog</name>
    <message numerus="yes">
        <source>%n s</source>
        <translation>
            <numerusform>%n s</numerusform>
            <numerusform>%n s</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Rolling back overwrites %1 (%2) with the snapshot&apos;s contents: %n chunk(s) of %3 differ, %4 to copy.</source>
        <translation>
            <numerusform>Rolling back overwrites %1 (%2) with the snapshot&apos;s contents: %n chunk of %3 differs, %4 to copy.</numerusform>
            <numerusform>Rolling back overwrites %1 (%2) with the snapshot&apos;s contents: %n chunks of %3 differ, %4 to copy.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The other snapshot(s) of this origin keep their contents: %1.</source>
        <translation>
            <numerusform>The other snapshot of this origin keeps its contents: %1.</numerusform>
            <numerusform>The other snapshots of this origin keep their contents: %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n chunk(s) left</source>
        <translation>
            <numerusform>%n chunk left</numerusform>
            <numerusform>%n chunks left</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Rolled back: %1 now holds the snapshot&apos;s contents (%n chunk(s) merged). %2 is an empty snapshot again: keep it to take the next changes, or remove its files.</source>
        <translation>
            <numerusform>Rolled back: %1 now holds the snapshot&apos;s contents (%n chunk merged). %2 is an empty snapshot again: keep it to take the next changes, or remove its files.</numerusform>
            <numerusform>Rolled back: %1 now holds the snapshot&apos;s contents (%n chunks merged). %2 is an empty snapshot again: keep it to take the next changes, or remove its files.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Batch %1: origin chunks %2–%3 (%n chunk(s)), %4 left</source>
        <translation>
            <numerusform>Batch %1: origin chunk %2–%3 (%n chunk), %4 left</numerusform>
            <numerusform>Batch %1: origin chunks %2–%3 (%n chunks), %4 left</numerusform>
        </translation>
    </message>
</context>
</TS>
