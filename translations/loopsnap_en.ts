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
        <source>%n event(s) were dropped: resynced from the engine&apos;s status.</source>
        <translation>
            <numerusform>%n event was dropped: resynced from the engine&apos;s status.</numerusform>
            <numerusform>%n events were dropped: resynced from the engine&apos;s status.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::HydrationDashboardPage</name>
    <message numerus="yes">
        <source>%n event(s) were dropped: resynced from the engine&apos;s status.</source>
        <translation>
            <numerusform>%n event was dropped: resynced from the engine&apos;s status.</numerusform>
            <numerusform>%n events were dropped: resynced from the engine&apos;s status.</numerusform>
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
</TS>
