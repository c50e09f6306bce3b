<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>CloneWizard</name>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 existiert nicht.</translation>
    </message>
</context>
<context>
    <name>HydrationDashboardPage</name>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
</context>
<context>
    <name>Pages</name>
    <message>
        <source>Exception monitor</source>
        <translation>Exception-Monitor</translation>
    </message>
    <message>
        <source>Pending exceptions, completion order and the COW store, live</source>
        <translation>Ausstehende Exceptions, Fertigstellungsreihenfolge und der COW-Speicher, live</translation>
    </message>
    <message>
        <source>Hydration dashboard</source>
        <translation>Hydrierungs-Dashboard</translation>
    </message>
    <message>
        <source>A clone&apos;s regions, rate and source health, live</source>
        <translation>Regionen, Rate und Zustand der Quelle eines Klons, live</translation>
    </message>
    <message>
        <source>&amp;Rollback…</source>
        <translation>&amp;Rollback …</translation>
    </message>
    <message>
        <source>Roll the origin back to this snapshot (merge), with live progress</source>
        <translation>Den Ursprung auf diesen Snapshot zurücksetzen (Merge), mit Live-Fortschritt</translation>
    </message>
    <message>
        <source>&amp;Crash lab</source>
        <translation>&amp;Crash-Labor</translation>
    </message>
    <message>
        <source>Check every crash state of a recorded workload, with or without the kernel fixes</source>
        <translation>Jeden Absturzzustand einer aufgezeichneten Last prüfen, mit oder ohne die Kernel-Korrekturen</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui</name>
    <message>
        <source>missing</source>
        <translation>fehlt</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>nicht lesbar</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>nothing found</source>
        <translation>nichts gefunden</translation>
    </message>
    <message>
        <source>%1 partition table</source>
        <translation>Partitionstabelle %1</translation>
    </message>
    <message>
        <source>“%1”</source>
        <translation>„%1“</translation>
    </message>
    <message>
        <source>mounted rw</source>
        <translation>eingehängt (rw)</translation>
    </message>
    <message>
        <source>mounted ro</source>
        <translation>eingehängt (ro)</translation>
    </message>
    <message>
        <source>What this device holds is unknown (libblkid is not available on this system).</source>
        <translation>Was dieses Gerät enthält, ist unbekannt (libblkid ist auf diesem System nicht verfügbar).</translation>
    </message>
    <message>
        <source>Size: %1</source>
        <translation>Größe: %1</translation>
    </message>
    <message>
        <source>libblkid found no filesystem and no partition table.</source>
        <translation>libblkid hat weder ein Dateisystem noch eine Partitionstabelle gefunden.</translation>
    </message>
    <message>
        <source>Type: %1 (%2)</source>
        <translation>Typ: %1 (%2)</translation>
    </message>
    <message>
        <source>Label: %1</source>
        <translation>Bezeichnung: %1</translation>
    </message>
    <message>
        <source>UUID: %1</source>
        <translation>UUID: %1</translation>
    </message>
    <message>
        <source>Partition table: %1</source>
        <translation>Partitionstabelle: %1</translation>
    </message>
    <message>
        <source> (through %1)</source>
        <translation> (über %1)</translation>
    </message>
    <message>
        <source>Mounted read-write on %1</source>
        <translation>Mit Schreibzugriff unter %1 eingehängt</translation>
    </message>
    <message>
        <source>Mounted read-only on %1</source>
        <translation>Schreibgeschützt unter %1 eingehängt</translation>
    </message>
    <message>
        <source>Cannot create %1.</source>
        <translation>%1 kann nicht angelegt werden.</translation>
    </message>
    <message>
        <source>Cannot write %1.</source>
        <translation>%1 kann nicht geschrieben werden.</translation>
    </message>
    <message>
        <source>The device</source>
        <translation>Das Gerät</translation>
    </message>
    <message>
        <source>%1 does not exist. Check the path, or forget the entry if the file was moved or deleted.</source>
        <translation>%1 existiert nicht. Prüfen Sie den Pfad, oder entfernen Sie den Eintrag mit „Vergessen“, wenn die Datei verschoben oder gelöscht wurde.</translation>
    </message>
    <message>
        <source>%1 cannot be read. Check its permissions (block devices usually need root) and that the disk is present.</source>
        <translation>%1 kann nicht gelesen werden. Prüfen Sie die Zugriffsrechte (Blockgeräte erfordern meist root) und ob die Platte vorhanden ist.</translation>
    </message>
    <message>
        <source>%1 already exists. Choose a new file name; Loopsnap never overwrites an existing store.</source>
        <translation>%1 existiert bereits. Wählen Sie einen neuen Dateinamen; Loopsnap überschreibt nie einen vorhandenen Speicher.</translation>
    </message>
    <message>
        <source>%1 is not a snapshot store (its header is not one the kernel writes). Choose the store you created for this origin; nothing was changed.</source>
        <translation>%1 ist kein Snapshot-Speicher (sein Header ist keiner, wie ihn der Kernel schreibt). Wählen Sie den Speicher, den Sie für diesen Ursprung angelegt haben; es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>%1 was written in a store format version Loopsnap does not read. Nothing was changed.</source>
        <translation>%1 wurde in einer Version des Speicherformats geschrieben, die Loopsnap nicht liest. Es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>The chunk size of %1 must be a power of two from 4 KiB to 512 KiB.</source>
        <translation>Die Chunk-Größe von %1 muss eine Zweierpotenz von 4 KiB bis 512 KiB sein.</translation>
    </message>
    <message>
        <source>%1 is shorter than its own records say: it was cut off or copied in part. Restore it from a full copy; nothing was changed.</source>
        <translation>%1 ist kürzer, als seine eigenen Einträge angeben: Die Datei wurde abgeschnitten oder nur teilweise kopiert. Stellen Sie sie aus einer vollständigen Kopie wieder her; es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>%1 is too small: a store needs at least three chunks (header, one metadata area, one data chunk). Choose a larger size.</source>
        <translation>%1 ist zu klein: Ein Speicher braucht mindestens drei Chunks (Header, ein Metadatenbereich, ein Daten-Chunk). Wählen Sie eine größere Größe.</translation>
    </message>
    <message>
        <source>There is not enough free space for %1. Free some space or choose another folder.</source>
        <translation>Für %1 ist nicht genug Platz frei. Geben Sie Platz frei oder wählen Sie einen anderen Ordner.</translation>
    </message>
    <message>
        <source>%1 is in use read-write by another program. Close that program (or stop its loopsnapctl command) and try again.</source>
        <translation>%1 wird von einem anderen Programm mit Schreibzugriff verwendet. Beenden Sie dieses Programm (oder seinen loopsnapctl-Befehl) und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>A rollback of %1 was interrupted. Finish it with Rollback before using the snapshot.</source>
        <translation>Ein Rollback von %1 wurde unterbrochen. Schließen Sie ihn mit „Rollback“ ab, bevor Sie den Snapshot verwenden.</translation>
    </message>
    <message>
        <source>The origin of %1 is shorter than the snapshot: it was resized. Restore its size first.</source>
        <translation>Der Ursprung von %1 ist kürzer als der Snapshot: Seine Größe wurde geändert. Stellen Sie zuerst die ursprüngliche Größe wieder her.</translation>
    </message>
    <message>
        <source>%1 is invalid (it filled up or a write to it failed) and stays so. Delete it and take a new snapshot.</source>
        <translation>%1 ist ungültig (er ist vollgelaufen oder ein Schreibzugriff darauf ist fehlgeschlagen) und bleibt es. Löschen Sie ihn und erstellen Sie einen neuen Snapshot.</translation>
    </message>
    <message>
        <source>%1 is full. Writes to the snapshot fail until you delete it; take a new snapshot with a larger store.</source>
        <translation>%1 ist voll. Schreibzugriffe auf den Snapshot schlagen fehl, bis Sie ihn löschen; erstellen Sie einen neuen Snapshot mit einem größeren Speicher.</translation>
    </message>
    <message>
        <source>The disk reported an error on %1. Check the disk and its connection.</source>
        <translation>Die Platte hat bei %1 einen Fehler gemeldet. Prüfen Sie die Platte und ihre Verbindung.</translation>
    </message>
    <message>
        <source>This system has no loop devices (%1). Load the loop module, or serve over NBD instead.</source>
        <translation>Dieses System hat keine Loop-Geräte (%1). Laden Sie das Modul loop oder stellen Sie stattdessen über NBD bereit.</translation>
    </message>
    <message>
        <source>The clone source %1 cannot be reached. Check the NBD server and the URI.</source>
        <translation>Die Klonquelle %1 ist nicht erreichbar. Prüfen Sie den NBD-Server und die URI.</translation>
    </message>
    <message>
        <source>%1 is smaller than the source. Choose a device at least as large as the source.</source>
        <translation>%1 ist kleiner als die Quelle. Wählen Sie ein Gerät, das mindestens so groß ist wie die Quelle.</translation>
    </message>
    <message>
        <source>The engine is not open yet. Wait a moment and try again.</source>
        <translation>Die Engine ist noch nicht geöffnet. Warten Sie einen Moment und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>%1 is damaged or is not what Loopsnap expected. Nothing was changed; check that you chose the right file.</source>
        <translation>%1 ist beschädigt oder nicht das, was Loopsnap erwartet hat. Es wurde nichts verändert; prüfen Sie, ob Sie die richtige Datei gewählt haben.</translation>
    </message>
    <message>
        <source>Reading or writing %1 failed. Check the disk and its permissions.</source>
        <translation>Lesen oder Schreiben von %1 ist fehlgeschlagen. Prüfen Sie die Platte und die Zugriffsrechte.</translation>
    </message>
    <message>
        <source>%1 is full. Free space or choose a larger store.</source>
        <translation>%1 ist voll. Geben Sie Platz frei oder wählen Sie einen größeren Speicher.</translation>
    </message>
    <message>
        <source>%1 is in use by another program. Close it and try again.</source>
        <translation>%1 wird von einem anderen Programm verwendet. Beenden Sie es und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <source>Loopsnap cannot do this with %1. Check the sizes and options you chose.</source>
        <translation>Loopsnap kann das mit %1 nicht tun. Prüfen Sie die gewählten Größen und Optionen.</translation>
    </message>
    <message>
        <source>%1 was not found. Check the path.</source>
        <translation>%1 wurde nicht gefunden. Prüfen Sie den Pfad.</translation>
    </message>
    <message>
        <source>%1: this is not supported on this system.</source>
        <translation>%1: Das wird auf diesem System nicht unterstützt.</translation>
    </message>
    <message>
        <source>Work on %1 was stopped. Start it again to continue where it stopped.</source>
        <translation>Die Arbeit an %1 wurde angehalten. Starten Sie sie erneut, um dort fortzufahren, wo sie angehalten wurde.</translation>
    </message>
    <message>
        <source>%1 is invalid and stays so. Delete it and take a new snapshot.</source>
        <translation>%1 ist ungültig und bleibt es. Löschen Sie ihn und erstellen Sie einen neuen Snapshot.</translation>
    </message>
    <message>
        <source>The operation failed</source>
        <translation>Der Vorgang ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>valid</source>
        <translation>gültig</translation>
    </message>
    <message>
        <source>invalid</source>
        <translation>ungültig</translation>
    </message>
    <message>
        <source>overflow</source>
        <translation>übergelaufen</translation>
    </message>
    <message>
        <source>merging</source>
        <translation>wird zusammengeführt</translation>
    </message>
    <message>
        <source>merge failed</source>
        <translation>Zusammenführen fehlgeschlagen</translation>
    </message>
    <message>
        <source>hydrating</source>
        <translation>wird hydriert</translation>
    </message>
    <message>
        <source>hydrated</source>
        <translation>hydriert</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <source>In use as usual.</source>
        <translation>Normal in Betrieb.</translation>
    </message>
    <message>
        <source>The store filled up or a write failed: the snapshot is dropped for good.</source>
        <translation>Der Speicher ist vollgelaufen oder ein Schreibzugriff ist fehlgeschlagen: Der Snapshot ist endgültig verworfen.</translation>
    </message>
    <message>
        <source>The store is full: writes to the snapshot fail, its contents can still be read.</source>
        <translation>Der Speicher ist voll: Schreibzugriffe auf den Snapshot schlagen fehl, sein Inhalt kann weiterhin gelesen werden.</translation>
    </message>
    <message>
        <source>A rollback is merging the snapshot into its origin.</source>
        <translation>Ein Rollback führt den Snapshot in seinen Ursprung zurück.</translation>
    </message>
    <message>
        <source>The rollback stopped on an error; the origin still shows the snapshot.</source>
        <translation>Der Rollback wurde durch einen Fehler angehalten; der Ursprung zeigt weiterhin den Snapshot.</translation>
    </message>
    <message>
        <source>Regions not copied yet are read from the source.</source>
        <translation>Noch nicht kopierte Regionen werden von der Quelle gelesen.</translation>
    </message>
    <message>
        <source>Every region is on the destination: the source is no longer needed.</source>
        <translation>Alle Regionen liegen auf dem Ziel: Die Quelle wird nicht mehr gebraucht.</translation>
    </message>
    <message>
        <source>The clone stopped on an error.</source>
        <translation>Der Klon wurde durch einen Fehler angehalten.</translation>
    </message>
    <message>
        <source>A file of this entry is gone.</source>
        <translation>Eine Datei dieses Eintrags fehlt.</translation>
    </message>
    <message>
        <source>userspace</source>
        <translation>Userspace</translation>
    </message>
    <message>
        <source>kernel (dm)</source>
        <translation>Kernel (dm)</translation>
    </message>
    <message>
        <source>memory</source>
        <translation>Arbeitsspeicher</translation>
    </message>
    <message>
        <source>persistent (P)</source>
        <translation>persistent (P)</translation>
    </message>
    <message>
        <source>persistent, overflow (PO)</source>
        <translation>persistent, Überlauf (PO)</translation>
    </message>
    <message>
        <source>transient (N)</source>
        <translation>transient (N)</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>wartend</translation>
    </message>
    <message>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>pausiert</translation>
    </message>
    <message>
        <source>stopping</source>
        <translation>wird angehalten</translation>
    </message>
    <message>
        <source>finished</source>
        <translation>abgeschlossen</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <source>Opening the workspace failed</source>
        <translation>Der Arbeitsbereich konnte nicht geöffnet werden</translation>
    </message>
    <message>
        <source>Reading the workspace failed</source>
        <translation>Der Arbeitsbereich konnte nicht gelesen werden</translation>
    </message>
    <message>
        <source>Creating the snapshot failed</source>
        <translation>Der Snapshot konnte nicht erstellt werden</translation>
    </message>
    <message>
        <source>Creating the clone failed</source>
        <translation>Der Klon konnte nicht erstellt werden</translation>
    </message>
    <message>
        <source>Adding the store failed</source>
        <translation>Der Speicher konnte nicht hinzugefügt werden</translation>
    </message>
    <message>
        <source>Adding the clone failed</source>
        <translation>Der Klon konnte nicht hinzugefügt werden</translation>
    </message>
    <message>
        <source>Forgetting the entry failed</source>
        <translation>Der Eintrag konnte nicht entfernt werden</translation>
    </message>
    <message>
        <source>Deleting the files failed</source>
        <translation>Die Dateien konnten nicht gelöscht werden</translation>
    </message>
    <message>
        <source>Attaching as a loop device failed</source>
        <translation>Das Einbinden als Loop-Gerät ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Detaching the loop device failed</source>
        <translation>Das Lösen des Loop-Geräts ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Serving over NBD failed</source>
        <translation>Die Bereitstellung über NBD ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Starting the hydration failed</source>
        <translation>Die Hydrierung konnte nicht gestartet werden</translation>
    </message>
    <message>
        <source>Setting up the demo failed</source>
        <translation>Die Demo konnte nicht eingerichtet werden</translation>
    </message>
    <message>
        <source>%1 is attached as a loop device. Detach it before rolling back; nothing was changed.</source>
        <translation>%1 ist als Loop-Gerät eingebunden. Lösen Sie es vor dem Rollback; es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>%1 is mounted read-write. Unmount it before rolling back; nothing was changed.</source>
        <translation>%1 ist mit Schreibzugriff eingehängt. Hängen Sie es vor dem Rollback aus; es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>%1 is in use by another program. Stop it before rolling back; nothing was changed.</source>
        <translation>%1 wird von einem anderen Programm verwendet. Beenden Sie es vor dem Rollback; es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>Starting the rollback failed</source>
        <translation>Das Starten des Rollbacks ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Pausing the rollback failed</source>
        <translation>Das Anhalten des Rollbacks ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Resuming the rollback failed</source>
        <translation>Das Fortsetzen des Rollbacks ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>Stopping the rollback failed</source>
        <translation>Das Stoppen des Rollbacks ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>The crash test failed</source>
        <translation>Der Absturztest ist fehlgeschlagen</translation>
    </message>
    <message>
        <source>merging, interrupted</source>
        <translation>Merge, unterbrochen</translation>
    </message>
    <message>
        <source>A rollback of this snapshot was stopped or cut off. The origin is partly rolled back and shows the snapshot; Resume rollback finishes it.</source>
        <translation>Ein Rollback dieses Snapshots wurde gestoppt oder abgebrochen. Der Ursprung ist teilweise zurückgesetzt und zeigt den Snapshot; „Rollback fortsetzen“ schließt ihn ab.</translation>
    </message>
    <message>
        <source>loopsnap-helper cannot be reached on the system bus. Install the Loopsnap package (it brings the helper), or choose the Userspace backend.</source>
        <translation>loopsnap-helper ist über den Systembus nicht erreichbar. Installieren Sie das Loopsnap-Paket (es bringt den Helfer mit) oder wählen Sie das Userspace-Backend.</translation>
    </message>
    <message>
        <source>loopsnap-helper failed to answer. Try again; the system log has its messages.</source>
        <translation>loopsnap-helper hat nicht geantwortet. Versuchen Sie es erneut; seine Meldungen stehen im Systemprotokoll.</translation>
    </message>
    <message>
        <source>Not authorised: the kernel backend needs an administrator&apos;s permission, and it was refused. Nothing was changed.</source>
        <translation>Nicht berechtigt: Das Kernel-Backend braucht die Erlaubnis eines Administrators, und sie wurde verweigert. Es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>Not authorised: the kernel backend needs an administrator&apos;s password, and no authentication agent asked for it. Nothing was changed.</source>
        <translation>Nicht berechtigt: Das Kernel-Backend braucht das Passwort eines Administrators, und kein Authentifizierungsagent hat danach gefragt. Es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>%1 holds a filesystem or other data. Loopsnap does not format over it; choose an empty file or device.</source>
        <translation>%1 enthält ein Dateisystem oder andere Daten. Loopsnap formatiert nicht darüber; wählen Sie eine leere Datei oder ein leeres Gerät.</translation>
    </message>
    <message>
        <source>%1 is not an absolute path.</source>
        <translation>%1 ist kein absoluter Pfad.</translation>
    </message>
    <message>
        <source>%1 contains “..”. Give the path without it.</source>
        <translation>%1 enthält „..“. Geben Sie den Pfad ohne an.</translation>
    </message>
    <message>
        <source>%1 is not a usable path (empty, too long, or with “.”, “//” or control characters).</source>
        <translation>%1 ist kein verwendbarer Pfad (leer, zu lang oder mit „.“, „//“ oder Steuerzeichen).</translation>
    </message>
    <message>
        <source>%1 is neither a regular file nor a block device.</source>
        <translation>%1 ist weder eine normale Datei noch ein Blockgerät.</translation>
    </message>
    <message>
        <source>%1 is named twice: origin, store, source, destination and metadata must be different files.</source>
        <translation>%1 ist doppelt angegeben: Ursprung, Speicher, Quelle, Ziel und Metadaten müssen verschiedene Dateien sein.</translation>
    </message>
    <message>
        <source>%1 is not one of your kernel devices.</source>
        <translation>%1 ist keines Ihrer Kernel-Geräte.</translation>
    </message>
    <message>
        <source>device-mapper is not available on this system, and the kernel backend needs it. Choose the Userspace backend.</source>
        <translation>Device-Mapper ist auf diesem System nicht verfügbar, und das Kernel-Backend braucht ihn. Wählen Sie das Userspace-Backend.</translation>
    </message>
    <message>
        <source>This build of Loopsnap has no kernel backend (libdevmapper was missing when it was built). Choose the Userspace backend.</source>
        <translation>Diese Loopsnap-Version hat kein Kernel-Backend (libdevmapper fehlte beim Bauen). Wählen Sie das Userspace-Backend.</translation>
    </message>
    <message>
        <source>Attaching a loop device needs root (%1 cannot be opened). Start Loopsnap as root, or serve the device over NBD instead.</source>
        <translation>Das Einbinden als Loop-Gerät erfordert root (%1 lässt sich nicht öffnen). Starten Sie Loopsnap als root oder stellen Sie das Gerät stattdessen über NBD bereit.</translation>
    </message>
    <message>
        <source>This system has no FUSE (%1), which attaching as a loop device needs. Load the fuse module, or serve over NBD instead.</source>
        <translation>Dieses System hat kein FUSE (%1), das das Einbinden als Loop-Gerät braucht. Laden Sie das Modul fuse oder stellen Sie das Gerät stattdessen über NBD bereit.</translation>
    </message>
    <message>
        <source>%1 is mounted. Unmount it first; it stays attached.</source>
        <translation>%1 ist eingehängt. Hängen Sie es zuerst aus; es bleibt eingebunden.</translation>
    </message>
    <message>
        <source>A snapshot store recorded for %1 is gone, so %1 is not opened for writing. Forget that snapshot (Device ▸ Forget) if it is gone for good, or put the file back.</source>
        <translation>Ein für %1 verzeichneter Snapshot-Speicher fehlt, daher wird %1 nicht zum Schreiben geöffnet. Vergessen Sie diesen Snapshot (Gerät ▸ Vergessen), wenn er endgültig fort ist, oder legen Sie die Datei zurück.</translation>
    </message>
    <message>
        <source>The snapshot store %1 is gone, so its origin is not opened for writing. Forget the snapshot (Device ▸ Forget) if it is gone for good, or put the file back.</source>
        <translation>Der Snapshot-Speicher %1 fehlt, daher wird sein Ursprung nicht zum Schreiben geöffnet. Vergessen Sie den Snapshot (Gerät ▸ Vergessen), wenn er endgültig fort ist, oder legen Sie die Datei zurück.</translation>
    </message>
    <message>
        <source>%1 is attached as a loop device. Detach it first; nothing was changed.</source>
        <translation>%1 ist als Loop-Gerät eingebunden. Lösen Sie es zuerst; nichts wurde geändert.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::AreaMapWidget</name>
    <message>
        <source>free</source>
        <translation>frei</translation>
    </message>
    <message>
        <source>header</source>
        <translation>Header</translation>
    </message>
    <message>
        <source>metadata area</source>
        <translation>Metadatenbereich</translation>
    </message>
    <message>
        <source>data, committed</source>
        <translation>Daten, festgeschrieben</translation>
    </message>
    <message>
        <source>data, pending</source>
        <translation>Daten, ausstehend</translation>
    </message>
    <message>
        <source>leaked</source>
        <translation>verwaist</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>Chunk %1</source>
        <translation>Chunk %1</translation>
    </message>
    <message>
        <source>Chunks %1–%2</source>
        <translation>Chunks %1–%2</translation>
    </message>
    <message>
        <source> · at %1</source>
        <translation> · bei %1</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::BackendChoice</name>
    <message>
        <source>Backend</source>
        <translation>Backend</translation>
    </message>
    <message>
        <source>&amp;Userspace: this app&apos;s engine over the files</source>
        <translation>&amp;Userspace: die Engine dieser App über den Dateien</translation>
    </message>
    <message>
        <source>&amp;Kernel: device-mapper in /dev/mapper, through loopsnap-helper (asks for an administrator)</source>
        <translation>&amp;Kernel: Device-Mapper in /dev/mapper, über loopsnap-helper (fragt nach einem Administrator)</translation>
    </message>
    <message>
        <source>Kernel is not available: %1</source>
        <translation>Kernel ist nicht verfügbar: %1</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::CloneDestinationPage</name>
    <message>
        <source>Destination</source>
        <translation>Ziel</translation>
    </message>
    <message>
        <source>Where the clone&apos;s data goes, and its metadata file (which regions are copied).</source>
        <translation>Wohin die Daten des Klons geschrieben werden, und seine Metadatendatei (welche Regionen kopiert sind).</translation>
    </message>
    <message>
        <source>A &amp;new file of the source&apos;s size</source>
        <translation>Eine &amp;neue Datei in der Größe der Quelle</translation>
    </message>
    <message>
        <source>An &amp;existing device or file at least as large (it is overwritten)</source>
        <translation>Ein &amp;vorhandenes Gerät oder eine Datei, mindestens ebenso groß (wird überschrieben)</translation>
    </message>
    <message>
        <source>&amp;Overwrite what is on it</source>
        <translation>Vorhandenen Inhalt ü&amp;berschreiben</translation>
    </message>
    <message>
        <source>&amp;Metadata file:</source>
        <translation>&amp;Metadatendatei:</translation>
    </message>
    <message>
        <source> labelled “%1”</source>
        <translation> mit der Bezeichnung „%1“</translation>
    </message>
    <message>
        <source>%1 holds %2. Cloning overwrites it: everything on it is lost.</source>
        <translation>%1 enthält %2. Das Klonen überschreibt es: Alles darauf geht verloren.</translation>
    </message>
    <message>
        <source>Choose the destination.</source>
        <translation>Wählen Sie das Ziel.</translation>
    </message>
    <message>
        <source>The destination cannot be the source itself.</source>
        <translation>Das Ziel darf nicht die Quelle selbst sein.</translation>
    </message>
    <message>
        <source>%1 already exists. Choose a new file, or “An existing device or file” to overwrite it.</source>
        <translation>%1 existiert bereits. Wählen Sie eine neue Datei oder „Ein vorhandenes Gerät oder eine Datei“, um sie zu überschreiben.</translation>
    </message>
    <message>
        <source>The folder %1 does not exist.</source>
        <translation>Der Ordner %1 existiert nicht.</translation>
    </message>
    <message>
        <source>You cannot create files in %1.</source>
        <translation>Sie können in %1 keine Dateien anlegen.</translation>
    </message>
    <message>
        <source>%1 has only %2 free, and the clone needs %3 once hydrated. Choose another folder.</source>
        <translation>Auf %1 sind nur %2 frei, der Klon braucht nach der Hydrierung %3. Wählen Sie einen anderen Ordner.</translation>
    </message>
    <message>
        <source>Still reading %1; press Next again in a moment.</source>
        <translation>%1 wird noch gelesen; klicken Sie gleich noch einmal auf „Weiter“.</translation>
    </message>
    <message>
        <source>%1 holds %2, smaller than the source (%3). Choose a device at least as large.</source>
        <translation>%1 fasst %2 und ist damit kleiner als die Quelle (%3). Wählen Sie ein mindestens ebenso großes Gerät.</translation>
    </message>
    <message>
        <source>%1 is mounted on %2. Unmount it first.</source>
        <translation>%1 ist unter %2 eingehängt. Hängen Sie es zuerst aus.</translation>
    </message>
    <message>
        <source>%1 holds a filesystem or partition table. Tick “Overwrite what is on it” to use it anyway.</source>
        <translation>%1 enthält ein Dateisystem oder eine Partitionstabelle. Kreuzen Sie „Vorhandenen Inhalt überschreiben“ an, um es trotzdem zu verwenden.</translation>
    </message>
    <message>
        <source>Choose a file for the clone&apos;s metadata.</source>
        <translation>Wählen Sie eine Datei für die Metadaten des Klons.</translation>
    </message>
    <message>
        <source>%1 already exists. An existing clone is added with File ▸ Add existing clone.</source>
        <translation>%1 existiert bereits. Einen vorhandenen Klon fügen Sie mit Datei ▸ Vorhandenen Klon hinzufügen hinzu.</translation>
    </message>
    <message>
        <source>The metadata file must differ from the destination.</source>
        <translation>Die Metadatendatei muss sich vom Ziel unterscheiden.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::CloneOptionsPage</name>
    <message>
        <source>Regions and hydration</source>
        <translation>Regionen und Hydrierung</translation>
    </message>
    <message>
        <source>The clone copies the source region by region, in the background while hydration is on.</source>
        <translation>Der Klon kopiert die Quelle Region für Region, im Hintergrund, solange die Hydrierung eingeschaltet ist.</translation>
    </message>
    <message>
        <source>&amp;Region size:</source>
        <translation>&amp;Regionsgröße:</translation>
    </message>
    <message>
        <source>The unit of copying and of the metadata&apos;s bitmap. Small regions copy less before a partial write can proceed; large ones mean fewer, larger reads from the source and a smaller bitmap.</source>
        <translation>Die Einheit, in der kopiert wird und die die Bitmap der Metadaten zählt. Kleine Regionen kopieren weniger, bevor ein Teilschreibvorgang weiterlaufen kann; große bedeuten weniger, dafür größere Lesevorgänge von der Quelle und eine kleinere Bitmap.</translation>
    </message>
    <message>
        <source>&amp;Hydrate in the background (copy every region, then the source is no longer needed)</source>
        <translation>Im &amp;Hintergrund hydrieren (jede Region kopieren, danach wird die Quelle nicht mehr gebraucht)</translation>
    </message>
    <message>
        <source>dm-clone hydration_threshold: regions copied at once</source>
        <translation>dm-clone hydration_threshold: gleichzeitig kopierte Regionen</translation>
    </message>
    <message>
        <source>Regions in &amp;flight:</source>
        <translation>&amp;Gleichzeitige Regionen:</translation>
    </message>
    <message>
        <source>dm-clone hydration_batch_size: consecutive regions per copy</source>
        <translation>dm-clone hydration_batch_size: aufeinanderfolgende Regionen je Kopiervorgang</translation>
    </message>
    <message>
        <source>&amp;Batch size:</source>
        <translation>&amp;Stapelgröße:</translation>
    </message>
    <message>
        <source>More regions in flight and larger batches hydrate faster and leave less bandwidth to your own reads and writes.</source>
        <translation>Mehr gleichzeitige Regionen und größere Stapel hydrieren schneller und lassen Ihren eigenen Lese- und Schreibzugriffen weniger Bandbreite.</translation>
    </message>
    <message>
        <source>The region size “%1” is out of range: it must be a power of two from 4 KiB to 4 MiB.</source>
        <translation>Die Regionsgröße „%1“ liegt außerhalb des zulässigen Bereichs: Sie muss eine Zweierpotenz von 4 KiB bis 4 MiB sein.</translation>
    </message>
    <message>
        <source>The kernel backend clones from a file or block device, not over NBD. Choose Userspace for an NBD source.</source>
        <translation>Das Kernel-Backend klont von einer Datei oder einem Blockgerät, nicht über NBD. Wählen Sie Userspace für eine NBD-Quelle.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::CloneSourcePage</name>
    <message>
        <source>Source</source>
        <translation>Quelle</translation>
    </message>
    <message>
        <source>What to clone. The clone is usable at once; regions not copied yet are read from here.</source>
        <translation>Was geklont werden soll. Der Klon ist sofort nutzbar; noch nicht kopierte Regionen werden von hier gelesen.</translation>
    </message>
    <message>
        <source>An image &amp;file</source>
        <translation>Eine Image-&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>Durch&amp;suchen …</translation>
    </message>
    <message>
        <source>A &amp;block device</source>
        <translation>Ein &amp;Blockgerät</translation>
    </message>
    <message>
        <source>A block device (none with a size on this machine)</source>
        <translation>Ein Blockgerät (auf diesem Rechner keines mit einer Größe)</translation>
    </message>
    <message>
        <source>An &amp;NBD export (nbdkit, qemu-nbd, rbd-nbd, …)</source>
        <translation>Ein &amp;NBD-Export (nbdkit, qemu-nbd, rbd-nbd, …)</translation>
    </message>
    <message>
        <source>Choose a source to see its size.</source>
        <translation>Wählen Sie eine Quelle, um ihre Größe zu sehen.</translation>
    </message>
    <message>
        <source>Connecting to %1…</source>
        <translation>Verbindung zu %1 wird aufgebaut …</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>%1 wird gelesen …</translation>
    </message>
    <message>
        <source>Choose the source image</source>
        <translation>Quell-Image wählen</translation>
    </message>
    <message>
        <source>NBD export reached: %1 (%2 bytes).</source>
        <translation>NBD-Export erreicht: %1 (%2 Bytes).</translation>
    </message>
    <message>
        <source>Choose a source: a file, a block device or an NBD URI.</source>
        <translation>Wählen Sie eine Quelle: eine Datei, ein Blockgerät oder eine NBD-URI.</translation>
    </message>
    <message>
        <source>“%1” is not an NBD URI. Write nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH.</source>
        <translation>„%1“ ist keine NBD-URI. Schreiben Sie nbd://HOST[:PORT]/EXPORT oder nbd+unix:///EXPORT?socket=PFAD.</translation>
    </message>
    <message>
        <source>Still probing %1 for its size; press Next again in a moment.</source>
        <translation>Die Größe von %1 wird noch ermittelt; klicken Sie gleich noch einmal auf „Weiter“.</translation>
    </message>
    <message>
        <source>Cannot reach %1: %2. Check that the NBD server runs and the URI is right.</source>
        <translation>%1 ist nicht erreichbar: %2. Prüfen Sie, ob der NBD-Server läuft und die URI stimmt.</translation>
    </message>
    <message>
        <source>%1 is empty: there is nothing to clone.</source>
        <translation>%1 ist leer: Es gibt nichts zu klonen.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::CloneSummaryPage</name>
    <message>
        <source>Summary</source>
        <translation>Zusammenfassung</translation>
    </message>
    <message>
        <source>Nothing has been written yet. Finish creates the clone.</source>
        <translation>Bisher wurde nichts geschrieben. „Abschließen“ legt den Klon an.</translation>
    </message>
    <message>
        <source>The same from a terminal:</source>
        <translation>Dasselbe im Terminal:</translation>
    </message>
    <message>
        <source>A clone of &lt;b&gt;%1&lt;/b&gt; (%2)&lt;br&gt;onto &lt;b&gt;%3&lt;/b&gt;, metadata in &lt;b&gt;%4&lt;/b&gt;, %5 regions.&lt;br&gt;%6</source>
        <translation>Ein Klon von &lt;b&gt;%1&lt;/b&gt; (%2)&lt;br&gt;auf &lt;b&gt;%3&lt;/b&gt;, Metadaten in &lt;b&gt;%4&lt;/b&gt;, %5 Regionen.&lt;br&gt;%6</translation>
    </message>
    <message>
        <source>No background hydration: regions are copied when they are written.</source>
        <translation>Keine Hydrierung im Hintergrund: Regionen werden kopiert, wenn sie beschrieben werden.</translation>
    </message>
    <message numerus="yes">
        <source>Hydration starts at once: %n region(s) in flight, batches of %1.</source>
        <translation>
            <numerusform>Die Hydrierung beginnt sofort: %n Region gleichzeitig, Stapel zu je %1.</numerusform>
            <numerusform>Die Hydrierung beginnt sofort: %n Regionen gleichzeitig, Stapel zu je %1.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::CloneWizard</name>
    <message>
        <source>New clone</source>
        <translation>Neuer Klon</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::CompletionOrderView</name>
    <message>
        <source>sequence</source>
        <translation>Reihenfolge</translation>
    </message>
    <message>
        <source>−%1 s</source>
        <translation>−%1 s</translation>
    </message>
    <message>
        <source>time the copy finished</source>
        <translation>Zeitpunkt, zu dem die Kopie fertig war</translation>
    </message>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source>copy finished</source>
        <translation>Kopie fertig</translation>
    </message>
    <message>
        <source>waiting for an earlier one</source>
        <translation>wartet auf eine frühere</translation>
    </message>
    <message>
        <source>commits (legacy: completion order)</source>
        <translation>Commits (Legacy: Fertigstellungsreihenfolge)</translation>
    </message>
    <message>
        <source>commits (in sequence)</source>
        <translation>Commits (in Reihenfolge)</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::CrashLabPage</name>
    <message>
        <source>Crash lab</source>
        <translation>Crash-Labor</translation>
    </message>
    <message>
        <source>Records a seeded workload&apos;s writes and flushes, then checks every crash state: what the disk may hold after a power cut at each point, reopened and checked against the invariants.</source>
        <translation>Zeichnet die Schreibzugriffe und Flushes einer Last mit festem Seed auf und prüft dann jeden Absturzzustand: was die Platte nach einem Stromausfall an jeder Stelle enthalten kann, neu geöffnet und gegen die Invarianten geprüft.</translation>
    </message>
    <message>
        <source>Scenario:</source>
        <translation>Szenario:</translation>
    </message>
    <message>
        <source>Snapshot (origin writes with concurrent copies)</source>
        <translation>Snapshot (Schreibzugriffe auf den Ursprung mit parallelen Kopien)</translation>
    </message>
    <message>
        <source>Clone (hydration and user writes)</source>
        <translation>Klon (Hydrierung und Schreibzugriffe)</translation>
    </message>
    <message>
        <source>Merge (rollback with a second snapshot)</source>
        <translation>Merge (Rollback mit einem zweiten Snapshot)</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>Seed:</translation>
    </message>
    <message>
        <source>Operations:</source>
        <translation>Operationen:</translation>
    </message>
    <message>
        <source>default</source>
        <translation>Standard</translation>
    </message>
    <message>
        <source>Legacy order (pre-fix kernel)</source>
        <translation>Alte Reihenfolge (Kernel vor der Korrektur)</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>&amp;Starten</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>&amp;Abbrechen</translation>
    </message>
    <message>
        <source>Not run yet.</source>
        <translation>Noch nicht gelaufen.</translation>
    </message>
    <message>
        <source>Last log entries before the crash point:</source>
        <translation>Letzte Logeinträge vor dem Absturzpunkt:</translation>
    </message>
    <message>
        <source>COW store in the crash state, the leaked chunks marked:</source>
        <translation>COW-Speicher im Absturzzustand, die verwaisten Chunks markiert:</translation>
    </message>
    <message>
        <source>Legacy order reverts kernel commit 230c83afdd9c: exception records are committed in the order copies finish, so a crash can leave a later chunk&apos;s record on disk without an earlier one&apos;s, and that earlier chunk is leaked for good.
The fixed order commits records strictly in allocation order (early finishers wait), so what is on disk is always a prefix of the allocations and no crash leaks a chunk.</source>
        <translation>Die alte Reihenfolge nimmt Kernel-Commit 230c83afdd9c zurück: Exception-Einträge werden in der Reihenfolge festgeschrieben, in der die Kopien fertig werden; ein Absturz kann so den Eintrag eines späteren Chunks ohne den eines früheren auf der Platte lassen, und der frühere Chunk ist für immer verwaist.
Die korrigierte Reihenfolge schreibt Einträge streng in Zuteilungsreihenfolge fest (früh Fertige warten), daher ist auf der Platte stets ein Anfangsstück der Zuteilungen, und kein Absturz lässt einen Chunk verwaisen.</translation>
    </message>
    <message>
        <source>Legacy order reverts kernel commit 8b3fd1f5: the clone&apos;s metadata is committed before the destination is flushed, so a crash can keep &quot;hydrated&quot; for a region whose data was still in the disk&apos;s cache: the clone reads garbage.
The fixed order freezes the changes, flushes the destination, then writes the metadata, so a region is marked hydrated on disk only once its data is durable.</source>
        <translation>Die alte Reihenfolge nimmt Kernel-Commit 8b3fd1f5 zurück: Die Metadaten des Klons werden festgeschrieben, bevor das Ziel geleert (Flush) ist; ein Absturz kann so „hydriert“ für eine Region behalten, deren Daten noch im Cache der Platte lagen: Der Klon liest Müll.
Die korrigierte Reihenfolge friert die Änderungen ein, leert das Ziel und schreibt dann die Metadaten, daher ist eine Region auf der Platte erst hydriert, wenn ihre Daten dauerhaft sind.</translation>
    </message>
    <message>
        <source>Legacy order clears merged records before the origin is flushed (the kernel&apos;s snapshot-merge flushes first): a crash can drop the copied chunk from the origin while its record is already gone, and the rollback loses it.
The fixed order flushes the origin before each batch&apos;s records are cleared, so every cleared chunk is already durable on the origin and a resumed merge finishes the rest.</source>
        <translation>Die alte Reihenfolge löscht gemergte Einträge, bevor der Ursprung geleert (Flush) ist (snapshot-merge des Kernels leert zuerst): Ein Absturz kann den kopierten Chunk auf dem Ursprung verlieren, während sein Eintrag schon weg ist, und der Rollback verliert ihn.
Die korrigierte Reihenfolge leert den Ursprung, bevor die Einträge eines Stapels gelöscht werden, daher ist jeder gelöschte Chunk schon dauerhaft auf dem Ursprung, und ein fortgesetzter Merge erledigt den Rest.</translation>
    </message>
    <message>
        <source>Legacy order is ON: the check is expected to find the hole.</source>
        <translation>Die alte Reihenfolge ist EIN: Die Prüfung soll die Lücke finden.</translation>
    </message>
    <message>
        <source>Recording the workload…</source>
        <translation>Die Last wird aufgezeichnet …</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen …</translation>
    </message>
    <message>
        <source>%1 crash states checked</source>
        <translation>%1 Absturzzustände geprüft</translation>
    </message>
    <message>
        <source>of about %1</source>
        <translation>von etwa %1</translation>
    </message>
    <message>
        <source>%1 per second</source>
        <translation>%1 pro Sekunde</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <source>Stopped after %1 crash states; no violation up to then.</source>
        <translation>Nach %1 Absturzzuständen angehalten; bis dahin keine Verletzung.</translation>
    </message>
    <message>
        <source>The crash test did not run to its end</source>
        <translation>Der Absturztest lief nicht bis zum Ende</translation>
    </message>
    <message>
        <source>%1 crash states checked at %2 crash points in %3 s.</source>
        <translation>%1 Absturzzustände an %2 Absturzpunkten in %3 s geprüft.</translation>
    </message>
    <message>
        <source>No violation</source>
        <translation>Keine Verletzung</translation>
    </message>
    <message>
        <source>Every crash state reopened cleanly and kept every invariant.</source>
        <translation>Jeder Absturzzustand ließ sich sauber öffnen und hielt jede Invariante ein.</translation>
    </message>
    <message>
        <source>Violation of %1</source>
        <translation>Verletzung von %1</translation>
    </message>
    <message numerus="yes">
        <source>Leaked COW chunk(s): %1</source>
        <translation>
            <numerusform>Verwaister COW-Chunk: %1</numerusform>
            <numerusform>Verwaiste COW-Chunks: %1</numerusform>
        </translation>
    </message>
    <message>
        <source>Region that read garbage: %1</source>
        <translation>Region, die Müll las: %1</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::DemoSession</name>
    <message>
        <source>nbdkit did not start a server on %1.</source>
        <translation>nbdkit hat keinen Server auf %1 gestartet.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::DetailsPane</name>
    <message>
        <source>Select an origin, a snapshot or a clone to see its details.</source>
        <translation>Wählen Sie einen Ursprung, einen Snapshot oder einen Klon aus, um seine Details zu sehen.</translation>
    </message>
    <message>
        <source>Kernel table line (for reference):</source>
        <translation>Kernel-Tabellenzeile (zum Vergleich):</translation>
    </message>
    <message>
        <source>The device-mapper table the kernel would load for this device (files stand for the loop devices it would use).</source>
        <translation>Die Device-Mapper-Tabelle, die der Kernel für dieses Gerät laden würde (Dateien stehen für die Loop-Geräte, die er verwenden würde).</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>Origin %1</source>
        <translation>Ursprung %1</translation>
    </message>
    <message>
        <source>State:</source>
        <translation>Zustand:</translation>
    </message>
    <message>
        <source>Problem:</source>
        <translation>Problem:</translation>
    </message>
    <message>
        <source>Path:</source>
        <translation>Pfad:</translation>
    </message>
    <message>
        <source>Size:</source>
        <translation>Größe:</translation>
    </message>
    <message>
        <source>%1 (%2 bytes)</source>
        <translation>%1 (%2 Bytes)</translation>
    </message>
    <message>
        <source>Contents:</source>
        <translation>Inhalt:</translation>
    </message>
    <message>
        <source>Snapshots:</source>
        <translation>Snapshots:</translation>
    </message>
    <message>
        <source>Backend:</source>
        <translation>Backend:</translation>
    </message>
    <message>
        <source>Snapshot %1</source>
        <translation>Snapshot %1</translation>
    </message>
    <message>
        <source>Status line:</source>
        <translation>Statuszeile:</translation>
    </message>
    <message>
        <source>As the kernel prints it: &lt;allocated&gt;/&lt;total&gt; &lt;metadata&gt; sectors</source>
        <translation>Wie der Kernel sie ausgibt: &lt;belegt&gt;/&lt;gesamt&gt; &lt;Metadaten&gt; Sektoren</translation>
    </message>
    <message>
        <source>Store:</source>
        <translation>Speicher:</translation>
    </message>
    <message>
        <source>Origin:</source>
        <translation>Ursprung:</translation>
    </message>
    <message>
        <source>Store type:</source>
        <translation>Speichertyp:</translation>
    </message>
    <message>
        <source>Chunk size:</source>
        <translation>Chunk-Größe:</translation>
    </message>
    <message>
        <source>Exceptions:</source>
        <translation>Exceptions:</translation>
    </message>
    <message>
        <source>%1 committed (%2 of %3 used)</source>
        <translation>%1 festgeschrieben (%2 von %3 belegt)</translation>
    </message>
    <message>
        <source>Snapshot length:</source>
        <translation>Snapshot-Länge:</translation>
    </message>
    <message>
        <source>, open here</source>
        <translation>, hier geöffnet</translation>
    </message>
    <message>
        <source>Clone %1</source>
        <translation>Klon %1</translation>
    </message>
    <message>
        <source>Source:</source>
        <translation>Quelle:</translation>
    </message>
    <message>
        <source>Destination:</source>
        <translation>Ziel:</translation>
    </message>
    <message>
        <source>Metadata:</source>
        <translation>Metadaten:</translation>
    </message>
    <message>
        <source>Region size:</source>
        <translation>Regionsgröße:</translation>
    </message>
    <message>
        <source>Hydrated:</source>
        <translation>Hydriert:</translation>
    </message>
    <message>
        <source>%1 of %2 regions (%3 in flight)</source>
        <translation>%1 von %2 Regionen (%3 in Arbeit)</translation>
    </message>
    <message>
        <source>Hydration:</source>
        <translation>Hydrierung:</translation>
    </message>
    <message>
        <source>on, threshold %1, batch %2</source>
        <translation>ein, Schwelle %1, Stapel %2</translation>
    </message>
    <message>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <source> (read-only)</source>
        <translation> (schreibgeschützt)</translation>
    </message>
    <message>
        <source>Attached as:</source>
        <translation>Eingebunden als:</translation>
    </message>
    <message>
        <source>Served at:</source>
        <translation>Bereitgestellt unter:</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::DeviceTreeModel</name>
    <message>
        <source>probing…</source>
        <translation>wird untersucht …</translation>
    </message>
    <message numerus="yes">
        <source>%n snapshot(s)</source>
        <translation>
            <numerusform>%n Snapshot</numerusform>
            <numerusform>%n Snapshots</numerusform>
        </translation>
    </message>
    <message>
        <source>Store %1, snapshot length %2</source>
        <translation>Speicher %1, Snapshot-Länge %2</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>Kernel status: %1</source>
        <translation>Kernel-Status: %1</translation>
    </message>
    <message>
        <source>%1 (metadata %2)</source>
        <translation>%1 (Metadaten %2)</translation>
    </message>
    <message>
        <source>%1 ← %2</source>
        <translation>%1 ← %2</translation>
    </message>
    <message>
        <source>%1 of %2 regions</source>
        <translation>%1 von %2 Regionen</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>Pfad</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>Contents</source>
        <translation>Inhalt</translation>
    </message>
    <message>
        <source>COW usage / hydration</source>
        <translation>COW-Belegung / Hydrierung</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Backend</translation>
    </message>
    <message>
        <source>%1 store · %2 chunks</source>
        <translation>%1-Speicher · %2-Chunks</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::DevicesPage</name>
    <message>
        <source>No origins, snapshots or clones yet</source>
        <translation>Noch keine Ursprünge, Snapshots oder Klone</translation>
    </message>
    <message>
        <source>Take a snapshot of a disk image or a block device, clone one from a file or an NBD server,
or try a demo session in a temporary folder (nothing of yours is touched).</source>
        <translation>Erstellen Sie einen Snapshot eines Disk-Images oder Blockgeräts, klonen Sie eines aus einer Datei oder von einem NBD-Server,
oder probieren Sie eine Demo-Sitzung in einem temporären Ordner aus (nichts von Ihren Daten wird angetastet).</translation>
    </message>
    <message>
        <source>Try a demo</source>
        <translation>Demo ausprobieren</translation>
    </message>
    <message>
        <source>New snapshot…</source>
        <translation>Neuer Snapshot …</translation>
    </message>
    <message>
        <source>New clone…</source>
        <translation>Neuer Klon …</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::ExceptionMonitorPage</name>
    <message>
        <source>Exception monitor</source>
        <translation>Exception-Monitor</translation>
    </message>
    <message>
        <source>In flight</source>
        <translation>In Arbeit</translation>
    </message>
    <message>
        <source>Waiting out of order</source>
        <translation>Wartet außer der Reihe</translation>
    </message>
    <message>
        <source>Committed</source>
        <translation>Festgeschrieben</translation>
    </message>
    <message>
        <source>Finished out of order</source>
        <translation>Außer der Reihe fertig</translation>
    </message>
    <message>
        <source>Area writes</source>
        <translation>Schreibvorgänge auf Bereiche</translation>
    </message>
    <message>
        <source>COW usage</source>
        <translation>COW-Belegung</translation>
    </message>
    <message>
        <source>Legacy ordering: the pre-fix kernel behaviour (before commit 230c83afdd9c)</source>
        <translation>Legacy-Reihenfolge: das Verhalten des Kernels vor der Korrektur (vor Commit 230c83afdd9c)</translation>
    </message>
    <message>
        <source>Commits records in the order copies finish, as kernels before 230c83afdd9c did. A crash can then leak COW chunks: the crash lab view shows it. Demo devices only.</source>
        <translation>Schreibt Einträge in der Reihenfolge fest, in der die Kopien fertig werden, wie Kernel vor 230c83afdd9c. Ein Absturz kann dann zu verwaisten COW-Chunks führen: Die Crash-Labor-Ansicht zeigt es. Nur für Demo-Geräte.</translation>
    </message>
    <message>
        <source>Commits follow completion order: a crash between two commits can leak COW space.</source>
        <translation>Commits folgen der Fertigstellungsreihenfolge: Ein Absturz zwischen zwei Commits kann zu verwaistem COW-Platz führen.</translation>
    </message>
    <message>
        <source>COW store: header, metadata areas and data chunks (the area being written outlined)</source>
        <translation>COW-Speicher: Header, Metadatenbereiche und Daten-Chunks (der gerade geschriebene Bereich ist umrandet)</translation>
    </message>
    <message>
        <source>Exception monitor — %1</source>
        <translation>Exception-Monitor – %1</translation>
    </message>
    <message>
        <source>Resynced from the engine&apos;s status after the view was hidden.</source>
        <translation>Nach dem Ausblenden der Ansicht aus dem Status der Engine neu abgeglichen.</translation>
    </message>
    <message>
        <source>%1 / %2 chunks</source>
        <translation>%1 / %2 Chunks</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>The exception monitor cannot follow this snapshot: %1</source>
        <translation>Der Exception-Monitor kann diesem Snapshot nicht folgen: %1</translation>
    </message>
    <message numerus="yes">
        <source>%n event(s) of this snapshot were dropped: resynced from the engine&apos;s status.</source>
        <translation>
            <numerusform>%n Ereignis dieses Snapshots wurde verworfen: aus dem Status der Engine neu abgeglichen.</numerusform>
            <numerusform>%n Ereignisse dieses Snapshots wurden verworfen: aus dem Status der Engine neu abgeglichen.</numerusform>
        </translation>
    </message>
    <message>
        <source>Switch the commit order</source>
        <translation>Commit-Reihenfolge umschalten</translation>
    </message>
    <message>
        <source>Legacy ordering on: commits now follow completion order (the pre-fix kernel behaviour).</source>
        <translation>Legacy-Reihenfolge an: Commits folgen jetzt der Fertigstellungsreihenfolge (das Verhalten des Kernels vor der Korrektur).</translation>
    </message>
    <message>
        <source>Legacy ordering off: commits advance strictly in sequence again.</source>
        <translation>Legacy-Reihenfolge aus: Commits rücken wieder streng der Reihe nach vor.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::HelperBridge</name>
    <message>
        <source>The kernel backend needs Linux.</source>
        <translation>Das Kernel-Backend braucht Linux.</translation>
    </message>
    <message>
        <source>loopsnap-helper is not installed (it comes with the Loopsnap package).</source>
        <translation>loopsnap-helper ist nicht installiert (er kommt mit dem Loopsnap-Paket).</translation>
    </message>
    <message>
        <source>device-mapper is not available in this kernel (neither built in nor a dm-mod module).</source>
        <translation>Device-Mapper ist in diesem Kernel nicht verfügbar (weder eingebaut noch als Modul dm-mod).</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::HydrationDashboardPage</name>
    <message>
        <source>Hydration dashboard</source>
        <translation>Hydrierungs-Dashboard</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <source>dm-clone hydration_threshold: regions copied at the same time</source>
        <translation>dm-clone hydration_threshold: gleichzeitig kopierte Regionen</translation>
    </message>
    <message>
        <source>dm-clone hydration_batch_size: consecutive regions per copy</source>
        <translation>dm-clone hydration_batch_size: aufeinanderfolgende Regionen je Kopiervorgang</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>Schwelle</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Stapelgröße</translation>
    </message>
    <message>
        <source>Point at the map to name its regions.</source>
        <translation>Zeigen Sie auf die Karte, um ihre Regionen zu benennen.</translation>
    </message>
    <message>
        <source>hydration (MiB/s)</source>
        <translation>Hydrierung (MiB/s)</translation>
    </message>
    <message>
        <source>foreground I/O (MiB/s)</source>
        <translation>Vordergrund-E/A (MiB/s)</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>Sekunden</translation>
    </message>
    <message>
        <source>Hydration dashboard — %1</source>
        <translation>Hydrierungs-Dashboard – %1</translation>
    </message>
    <message>
        <source>Source: %1</source>
        <translation>Quelle: %1</translation>
    </message>
    <message>
        <source>Problem: %1</source>
        <translation>Problem: %1</translation>
    </message>
    <message>
        <source>Resynced from the engine&apos;s status after the view was hidden.</source>
        <translation>Nach dem Ausblenden der Ansicht aus dem Status der Engine neu abgeglichen.</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>%1 / %2 regions · %3 / %4</source>
        <translation>%1 / %2 Regionen · %3 / %4</translation>
    </message>
    <message>
        <source>Hydrated: every region is on the destination.</source>
        <translation>Hydriert: Alle Regionen liegen auf dem Ziel.</translation>
    </message>
    <message>
        <source>Paused: background hydration is off; reads of unhydrated regions go to the source.</source>
        <translation>Angehalten: Die Hydrierung im Hintergrund ist aus; Lesezugriffe auf nicht hydrierte Regionen gehen an die Quelle.</translation>
    </message>
    <message>
        <source>Hydrating: %1 regions in flight</source>
        <translation>Hydrierung läuft: %1 Regionen in Arbeit</translation>
    </message>
    <message>
        <source>Source healthy: no read errors.</source>
        <translation>Quelle in Ordnung: keine Lesefehler.</translation>
    </message>
    <message>
        <source>Source error (%1) at region %2 (bytes %3–%4): %5</source>
        <translation>Quellfehler (%1) bei Region %2 (Bytes %3–%4): %5</translation>
    </message>
    <message>
        <source>hydration stopped; resume to retry.</source>
        <translation>Hydrierung angehalten; zum erneuten Versuch fortsetzen.</translation>
    </message>
    <message>
        <source>hydration continues with other regions.</source>
        <translation>die Hydrierung läuft mit anderen Regionen weiter.</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Fortsetzen</translation>
    </message>
    <message>
        <source>The dashboard cannot follow this clone: %1</source>
        <translation>Das Dashboard kann diesem Klon nicht folgen: %1</translation>
    </message>
    <message numerus="yes">
        <source>%n event(s) of this clone were dropped: resynced from the engine&apos;s status.</source>
        <translation>
            <numerusform>%n Ereignis dieses Klons wurde verworfen: aus dem Status der Engine neu abgeglichen.</numerusform>
            <numerusform>%n Ereignisse dieses Klons wurden verworfen: aus dem Status der Engine neu abgeglichen.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/s</translation>
    </message>
    <message>
        <source>measuring…</source>
        <translation>wird gemessen …</translation>
    </message>
    <message>
        <source>Rate %1 · ETA %2 · foreground I/O %3</source>
        <translation>Rate %1 · verbleibend %2 · Vordergrund-E/A %3</translation>
    </message>
    <message>
        <source>done</source>
        <translation>fertig</translation>
    </message>
    <message>
        <source>Rate measuring… · ETA measuring… · foreground I/O %1</source>
        <translation>Rate wird gemessen … · verbleibend wird gemessen … · Vordergrund-E/A %1</translation>
    </message>
    <message>
        <source>Rate %1/s · ETA %2 · foreground I/O %3</source>
        <translation>Rate %1/s · verbleibend %2 · Vordergrund-E/A %3</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::MainWindow</name>
    <message>
        <source>Loopsnap</source>
        <translation>Loopsnap</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>Geräte</translation>
    </message>
    <message numerus="yes">
        <source>Workspace %1 · %n origin(s)</source>
        <translation>
            <numerusform>Arbeitsbereich %1 · %n Ursprung</numerusform>
            <numerusform>Arbeitsbereich %1 · %n Ursprünge</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> · %n snapshot(s)</source>
        <translation>
            <numerusform> · %n Snapshot</numerusform>
            <numerusform> · %n Snapshots</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> · %n clone(s)</source>
        <translation>
            <numerusform> · %n Klon</numerusform>
            <numerusform> · %n Klone</numerusform>
        </translation>
    </message>
    <message>
        <source>The display fell behind the engine (%1 events skipped); the view was re-read.</source>
        <translation>Die Anzeige kam der Engine nicht hinterher (%1 Ereignisse übersprungen); die Ansicht wurde neu eingelesen.</translation>
    </message>
    <message>
        <source>New &amp;snapshot…</source>
        <translation>Neuer &amp;Snapshot …</translation>
    </message>
    <message>
        <source>Take a snapshot of a disk image or block device</source>
        <translation>Einen Snapshot eines Disk-Images oder Blockgeräts erstellen</translation>
    </message>
    <message>
        <source>New &amp;clone…</source>
        <translation>Neuer &amp;Klon …</translation>
    </message>
    <message>
        <source>Clone a file, block device or NBD export</source>
        <translation>Eine Datei, ein Blockgerät oder einen NBD-Export klonen</translation>
    </message>
    <message>
        <source>Add existing s&amp;tore…</source>
        <translation>Vorhandenen S&amp;peicher hinzufügen …</translation>
    </message>
    <message>
        <source>Add a COW store made earlier or by loopsnapctl</source>
        <translation>Einen früher oder mit loopsnapctl angelegten COW-Speicher hinzufügen</translation>
    </message>
    <message>
        <source>Add existing c&amp;lone…</source>
        <translation>Vorhandenen K&amp;lon hinzufügen …</translation>
    </message>
    <message>
        <source>Add a clone by its metadata file</source>
        <translation>Einen Klon über seine Metadatendatei hinzufügen</translation>
    </message>
    <message>
        <source>Try a &amp;demo</source>
        <translation>&amp;Demo ausprobieren</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>Quit Loopsnap</source>
        <translation>Loopsnap beenden</translation>
    </message>
    <message>
        <source>&amp;Attach as loop device</source>
        <translation>Als Loop-Gerät &amp;einbinden</translation>
    </message>
    <message>
        <source>Make the device a /dev/loopN (root)</source>
        <translation>Das Gerät als /dev/loopN bereitstellen (root)</translation>
    </message>
    <message>
        <source>&amp;Detach loop device</source>
        <translation>Loop-Gerät &amp;lösen</translation>
    </message>
    <message>
        <source>Release the loop device</source>
        <translation>Das Loop-Gerät freigeben</translation>
    </message>
    <message>
        <source>Serve over &amp;NBD…</source>
        <translation>Über &amp;NBD bereitstellen …</translation>
    </message>
    <message>
        <source>Export the device to NBD clients</source>
        <translation>Das Gerät für NBD-Clients exportieren</translation>
    </message>
    <message>
        <source>&amp;Forget</source>
        <translation>&amp;Vergessen</translation>
    </message>
    <message>
        <source>Remove the entry from the workspace; no file is touched</source>
        <translation>Den Eintrag aus dem Arbeitsbereich entfernen; keine Datei wird angetastet</translation>
    </message>
    <message>
        <source>&amp;Delete store…</source>
        <translation>Speicher lösc&amp;hen …</translation>
    </message>
    <message>
        <source>Delete the store&apos;s files (asks first)</source>
        <translation>Die Dateien des Speichers löschen (mit Rückfrage)</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <source>Re-read the workspace and every status</source>
        <translation>Den Arbeitsbereich und jeden Status neu einlesen</translation>
    </message>
    <message>
        <source>&amp;About Loopsnap</source>
        <translation>&amp;Über Loopsnap</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Über &amp;Qt</translation>
    </message>
    <message>
        <source>Not part of this build yet</source>
        <translation>In dieser Version noch nicht enthalten</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Device</source>
        <translation>&amp;Gerät</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>Hauptwerkzeugleiste</translation>
    </message>
    <message>
        <source>Choose the COW store</source>
        <translation>COW-Speicher wählen</translation>
    </message>
    <message>
        <source>Snapshot stores (*.cow);;All files (*)</source>
        <translation>Snapshot-Speicher (*.cow);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Choose the origin of %1</source>
        <translation>Ursprung von %1 wählen</translation>
    </message>
    <message>
        <source>Choose the clone&apos;s metadata file</source>
        <translation>Metadatendatei des Klons wählen</translation>
    </message>
    <message>
        <source>Clone metadata (*.meta);;All files (*)</source>
        <translation>Klon-Metadaten (*.meta);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Attached</source>
        <translation>Eingebunden</translation>
    </message>
    <message>
        <source>Delete files</source>
        <translation>Dateien löschen</translation>
    </message>
    <message>
        <source>Delete these files for good? The origin is not touched.

%1</source>
        <translation>Diese Dateien endgültig löschen? Der Ursprung bleibt unberührt.

%1</translation>
    </message>
    <message>
        <source>Demo session</source>
        <translation>Demo-Sitzung</translation>
    </message>
    <message>
        <source>In %1: an ext4 origin with a snapshot under a running write workload, and a clone hydrating from a throttled NBD source (about a minute). Nothing outside that folder is touched.</source>
        <translation>In %1: ein ext4-Ursprung mit einem Snapshot unter laufender Schreiblast und ein Klon, der von einer gedrosselten NBD-Quelle hydriert wird (etwa eine Minute). Außerhalb dieses Ordners wird nichts angetastet.</translation>
    </message>
    <message>
        <source>About Loopsnap</source>
        <translation>Über Loopsnap</translation>
    </message>
    <message>
        <source>&amp;Rollback…</source>
        <translation>&amp;Rollback …</translation>
    </message>
    <message>
        <source>&amp;Exception monitor</source>
        <translation>&amp;Exception-Monitor</translation>
    </message>
    <message>
        <source>&amp;Hydration dashboard</source>
        <translation>&amp;Hydrierungs-Dashboard</translation>
    </message>
    <message>
        <source>&amp;Crash lab</source>
        <translation>&amp;Crash-Labor</translation>
    </message>
    <message>
        <source>A demo session in a new window, with its own temporary folder and workspace</source>
        <translation>Eine Demo-Sitzung in einem neuen Fenster, mit eigenem temporärem Ordner und Arbeitsbereich</translation>
    </message>
    <message>
        <source>Loopsnap demo — %1</source>
        <translation>Loopsnap-Demo — %1</translation>
    </message>
    <message>
        <source>Resume &amp;rollback…</source>
        <translation>&amp;Rollback fortsetzen …</translation>
    </message>
    <message>
        <source>%1 is now %2. Detach it before deleting its files.</source>
        <translation>%1 ist jetzt %2. Lösen Sie es, bevor Sie seine Dateien löschen.</translation>
    </message>
    <message>
        <source>Detached</source>
        <translation>Gelöst</translation>
    </message>
    <message>
        <source>%1 is no longer %2.</source>
        <translation>%1 ist nicht mehr %2.</translation>
    </message>
    <message>
        <source>Snapshot</source>
        <translation>Snapshot</translation>
    </message>
    <message>
        <source>Clone</source>
        <translation>Klon</translation>
    </message>
    <message>
        <source>Attach</source>
        <translation>Einbinden</translation>
    </message>
    <message>
        <source>Detach</source>
        <translation>Lösen</translation>
    </message>
    <message>
        <source>Serve</source>
        <translation>Bereitstellen</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Rollback</source>
        <translation>Rollback</translation>
    </message>
    <message>
        <source>Exceptions</source>
        <translation>Exceptions</translation>
    </message>
    <message>
        <source>Hydration</source>
        <translation>Hydrierung</translation>
    </message>
    <message>
        <source>Crash lab</source>
        <translation>Crash-Labor</translation>
    </message>
    <message>
        <source>Resume rollback</source>
        <translation>Rollback fortsetzen</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Loopsnap %1&lt;/h3&gt;&lt;p&gt;Block-level snapshots and clones of disk images and block devices, with the semantics of Linux dm-snapshot (on the kernel&apos;s own COW format) and dm-clone, in a portable userspace engine.&lt;/p&gt;&lt;p&gt;Qt %2 · the command line twin is &lt;tt&gt;loopsnapctl&lt;/tt&gt;.&lt;/p&gt;&lt;p&gt;&lt;a href=&quot;%3&quot;&gt;%3&lt;/a&gt;&lt;br&gt;© %4 · GPL-2.0-or-later&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Loopsnap %1&lt;/h3&gt;&lt;p&gt;Snapshots und Klone von Disk-Images und Blockgeräten auf Blockebene, mit der Semantik von Linux dm-snapshot (im COW-Format des Kernels) und dm-clone, in einer portablen Userspace-Engine.&lt;/p&gt;&lt;p&gt;Qt %2 · das Gegenstück für die Kommandozeile ist &lt;tt&gt;loopsnapctl&lt;/tt&gt; (auf Englisch).&lt;/p&gt;&lt;p&gt;&lt;a href=&quot;%3&quot;&gt;%3&lt;/a&gt;&lt;br&gt;© %4 · GPL-2.0-or-later&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::MergeDialog</name>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message numerus="yes">
        <source>%n s</source>
        <translation>
            <numerusform>%n s</numerusform>
            <numerusform>%n s</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>Rollback</source>
        <translation>Rollback</translation>
    </message>
    <message>
        <source>Reading the snapshot…</source>
        <translation>Der Snapshot wird gelesen …</translation>
    </message>
    <message>
        <source>Batches merged (each one durable before the next starts):</source>
        <translation>Gemergte Stapel (jeder dauerhaft, bevor der nächste beginnt):</translation>
    </message>
    <message>
        <source>Check &amp;again</source>
        <translation>&amp;Erneut prüfen</translation>
    </message>
    <message>
        <source>&amp;Start rollback</source>
        <translation>Rollback &amp;starten</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>&amp;Anhalten</translation>
    </message>
    <message>
        <source>S&amp;top</source>
        <translation>S&amp;toppen</translation>
    </message>
    <message>
        <source>&amp;Keep the empty store</source>
        <translation>Leeren Speicher &amp;behalten</translation>
    </message>
    <message>
        <source>&amp;Remove the store</source>
        <translation>Speicher &amp;entfernen</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>S&amp;chließen</translation>
    </message>
    <message>
        <source>&amp;Resume rollback</source>
        <translation>Rollback &amp;fortsetzen</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>&amp;Fortsetzen</translation>
    </message>
    <message>
        <source>This snapshot cannot be rolled back</source>
        <translation>Dieser Snapshot kann nicht zurückgesetzt werden</translation>
    </message>
    <message numerus="yes">
        <source>Rolling back overwrites %1 (%2) with the snapshot&apos;s contents: %n chunk(s) of %3 differ, %4 to copy.</source>
        <translation>
            <numerusform>Der Rollback überschreibt %1 (%2) mit dem Inhalt des Snapshots: %n Chunk zu %3 weicht ab, %4 zu kopieren.</numerusform>
            <numerusform>Der Rollback überschreibt %1 (%2) mit dem Inhalt des Snapshots: %n Chunks zu %3 weichen ab, %4 zu kopieren.</numerusform>
        </translation>
    </message>
    <message>
        <source>A rollback of this snapshot was interrupted: it resumes where it stopped.</source>
        <translation>Ein Rollback dieses Snapshots wurde unterbrochen: Er wird dort fortgesetzt, wo er stehen blieb.</translation>
    </message>
    <message>
        <source>The origin stays usable meanwhile and shows the snapshot&apos;s contents from the start. Afterwards %1 is an empty snapshot of the rolled-back origin.</source>
        <translation>Der Ursprung bleibt währenddessen benutzbar und zeigt von Anfang an den Inhalt des Snapshots. Danach ist %1 ein leerer Snapshot des zurückgesetzten Ursprungs.</translation>
    </message>
    <message>
        <source>%1 is attached as %2. Detach it before rolling back.</source>
        <translation>%1 ist als %2 eingebunden. Lösen Sie es vor dem Rollback.</translation>
    </message>
    <message>
        <source>%1 is mounted read-write at %2 (%3). Unmount it before rolling back.</source>
        <translation>%1 ist unter %2 mit Schreibzugriff eingehängt (%3). Hängen Sie es vor dem Rollback aus.</translation>
    </message>
    <message>
        <source>%1 is in use by process %2 (%3). Stop that program before rolling back.</source>
        <translation>%1 wird von Prozess %2 (%3) verwendet. Beenden Sie dieses Programm vor dem Rollback.</translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation>Es wurde nichts verändert.</translation>
    </message>
    <message>
        <source>Roll back %1 to the snapshot %2</source>
        <translation>%1 auf den Snapshot %2 zurücksetzen</translation>
    </message>
    <message>
        <source>This origin has no other snapshots.</source>
        <translation>Dieser Ursprung hat keine weiteren Snapshots.</translation>
    </message>
    <message numerus="yes">
        <source>The other snapshot(s) of this origin keep their contents: %1.</source>
        <translation>
            <numerusform>Der andere Snapshot dieses Ursprungs behält seinen Inhalt: %1.</numerusform>
            <numerusform>Die anderen Snapshots dieses Ursprungs behalten ihren Inhalt: %1.</numerusform>
        </translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Wird gestartet …</translation>
    </message>
    <message numerus="yes">
        <source>%n chunk(s) left</source>
        <translation>
            <numerusform>%n Chunk übrig</numerusform>
            <numerusform>%n Chunks übrig</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 of %2 copied</source>
        <translation>%1 von %2 kopiert</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/s</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>noch etwa %1</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>angehalten</translation>
    </message>
    <message numerus="yes">
        <source>Rolled back: %1 now holds the snapshot&apos;s contents (%n chunk(s) merged). %2 is an empty snapshot again: keep it to take the next changes, or remove its files.</source>
        <translation>
            <numerusform>Zurückgesetzt: %1 enthält nun den Inhalt des Snapshots (%n Chunk gemergt). %2 ist wieder ein leerer Snapshot: Behalten Sie ihn für die nächsten Änderungen, oder entfernen Sie seine Dateien.</numerusform>
            <numerusform>Zurückgesetzt: %1 enthält nun den Inhalt des Snapshots (%n Chunks gemergt). %2 ist wieder ein leerer Snapshot: Behalten Sie ihn für die nächsten Änderungen, oder entfernen Sie seine Dateien.</numerusform>
        </translation>
    </message>
    <message>
        <source>Stopped after %1 of %2 chunks. %3 is partly rolled back and still shows the snapshot; Resume rollback finishes it (also after a restart, or with loopsnapctl merge).</source>
        <translation>Nach %1 von %2 Chunks gestoppt. %3 ist teilweise zurückgesetzt und zeigt weiter den Snapshot; „Rollback fortsetzen“ schließt ihn ab (auch nach einem Neustart oder mit loopsnapctl merge).</translation>
    </message>
    <message>
        <source>The rollback failed.</source>
        <translation>Der Rollback ist fehlgeschlagen.</translation>
    </message>
    <message numerus="yes">
        <source>Batch %1: origin chunks %2–%3 (%n chunk(s)), %4 left</source>
        <translation>
            <numerusform>Stapel %1: Ursprungs-Chunks %2–%3 (%n Chunk), %4 übrig</numerusform>
            <numerusform>Stapel %1: Ursprungs-Chunks %2–%3 (%n Chunks), %4 übrig</numerusform>
        </translation>
    </message>
    <message>
        <source>Batch %1: origin chunk %2, %3 left</source>
        <translation>Stapel %1: Ursprungs-Chunk %2, %3 übrig</translation>
    </message>
    <message>
        <source>The rollback goes on without this window; quitting Loopsnap stops it safely between batches.</source>
        <translation>Der Rollback läuft ohne dieses Fenster weiter; das Beenden von Loopsnap hält ihn sicher zwischen zwei Stapeln an.</translation>
    </message>
    <message>
        <source>The snapshot holds no changes: %1 already has its contents, there is nothing to roll back.</source>
        <translation>Der Snapshot enthält keine Änderungen: %1 hat bereits seinen Inhalt, es gibt nichts zurückzusetzen.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::MessageArea</name>
    <message>
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::PendingExceptionModel</name>
    <message>
        <source>copying</source>
        <translation>wird kopiert</translation>
    </message>
    <message>
        <source>copied, committing</source>
        <translation>kopiert, wird festgeschrieben</translation>
    </message>
    <message>
        <source>copied, waiting for an earlier one</source>
        <translation>kopiert, wartet auf eine frühere</translation>
    </message>
    <message>
        <source>copy failed</source>
        <translation>Kopie fehlgeschlagen</translation>
    </message>
    <message>
        <source>committed</source>
        <translation>festgeschrieben</translation>
    </message>
    <message>
        <source>copied, waiting for #%1</source>
        <translation>kopiert, wartet auf Nr. %1</translation>
    </message>
    <message>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>Sequence</source>
        <translation>Folgenummer</translation>
    </message>
    <message>
        <source>Origin chunk</source>
        <translation>Ursprungs-Chunk</translation>
    </message>
    <message>
        <source>COW chunk</source>
        <translation>COW-Chunk</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>Alter</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::RegionMapWidget</name>
    <message>
        <source>unhydrated</source>
        <translation>nicht hydriert</translation>
    </message>
    <message>
        <source>hydrating</source>
        <translation>wird hydriert</translation>
    </message>
    <message>
        <source>hydrated</source>
        <translation>hydriert</translation>
    </message>
    <message>
        <source>written by the user</source>
        <translation>vom Benutzer geschrieben</translation>
    </message>
    <message>
        <source>discarded</source>
        <translation>verworfen (Discard)</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>Region %1</source>
        <translation>Region %1</translation>
    </message>
    <message>
        <source>Regions %1–%2</source>
        <translation>Regionen %1–%2</translation>
    </message>
    <message>
        <source> · bytes %1–%2 (%3 at %4)</source>
        <translation> · Bytes %1–%2 (%3 bei %4)</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::ServeDialog</name>
    <message>
        <source>Serve %1 over NBD</source>
        <translation>%1 über NBD bereitstellen</translation>
    </message>
    <message>
        <source>&amp;Unix socket:</source>
        <translation>&amp;Unix-Socket:</translation>
    </message>
    <message>
        <source>optional, e.g. 127.0.0.1:10809</source>
        <translation>optional, z. B. 127.0.0.1:10809</translation>
    </message>
    <message>
        <source>&amp;TCP address:</source>
        <translation>&amp;TCP-Adresse:</translation>
    </message>
    <message>
        <source>&amp;Read-only export</source>
        <translation>&amp;Schreibgeschützter Export</translation>
    </message>
    <message>
        <source>The URI appears here once serving</source>
        <translation>Die URI erscheint hier, sobald die Bereitstellung läuft</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Kopieren</translation>
    </message>
    <message>
        <source>URI:</source>
        <translation>URI:</translation>
    </message>
    <message>
        <source>&amp;Serve</source>
        <translation>&amp;Bereitstellen</translation>
    </message>
    <message>
        <source>Give a socket path or a TCP address.</source>
        <translation>Geben Sie einen Socket-Pfad oder eine TCP-Adresse an.</translation>
    </message>
    <message>
        <source>%1 already exists. Choose another socket path.</source>
        <translation>%1 existiert bereits. Wählen Sie einen anderen Socket-Pfad.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::SnapshotOptionsPage</name>
    <message>
        <source>Options</source>
        <translation>Optionen</translation>
    </message>
    <message>
        <source>What to do with the snapshot once it exists.</source>
        <translation>Was mit dem Snapshot geschehen soll, sobald er angelegt ist.</translation>
    </message>
    <message>
        <source>&amp;Only create it (it appears in the device list)</source>
        <translation>&amp;Nur anlegen (er erscheint in der Geräteliste)</translation>
    </message>
    <message>
        <source>&amp;Attach it as a loop device (/dev/loopN), to mount it</source>
        <translation>Als Loop-Gerät (/dev/loopN) &amp;einbinden, um ihn einzuhängen</translation>
    </message>
    <message>
        <source>&amp;Serve it over NBD on a unix socket</source>
        <translation>Über NBD auf einem Unix-Socket &amp;bereitstellen</translation>
    </message>
    <message>
        <source>Loop devices are available to root; Loopsnap runs as root.</source>
        <translation>Loop-Geräte stehen root zur Verfügung; Loopsnap läuft als root.</translation>
    </message>
    <message>
        <source>Attaching needs root; Loopsnap does not run as root, so serving over NBD is the way here.</source>
        <translation>Das Einbinden erfordert root; Loopsnap läuft nicht als root, daher ist hier die Bereitstellung über NBD der Weg.</translation>
    </message>
    <message>
        <source>Socket:</source>
        <translation>Socket:</translation>
    </message>
    <message>
        <source>Attaching as a loop device needs root. Start Loopsnap as root, or choose Serve over NBD.</source>
        <translation>Das Einbinden als Loop-Gerät erfordert root. Starten Sie Loopsnap als root oder wählen Sie die Bereitstellung über NBD.</translation>
    </message>
    <message>
        <source>Choose a path for the NBD socket.</source>
        <translation>Wählen Sie einen Pfad für den NBD-Socket.</translation>
    </message>
    <message>
        <source>The folder %1 does not exist.</source>
        <translation>Der Ordner %1 existiert nicht.</translation>
    </message>
    <message>
        <source>%1 already exists. Choose another socket path.</source>
        <translation>%1 existiert bereits. Wählen Sie einen anderen Socket-Pfad.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::SnapshotOriginPage</name>
    <message>
        <source>Origin</source>
        <translation>Ursprung</translation>
    </message>
    <message>
        <source>The disk image or block device to take a snapshot of. It is only read here.</source>
        <translation>Das Disk-Image oder Blockgerät, von dem ein Snapshot erstellt wird. Es wird hier nur gelesen.</translation>
    </message>
    <message>
        <source>An image &amp;file</source>
        <translation>Eine Image-&amp;Datei</translation>
    </message>
    <message>
        <source>/path/to/disk.img</source>
        <translation>/pfad/zu/disk.img</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>Durch&amp;suchen …</translation>
    </message>
    <message>
        <source>A &amp;block device</source>
        <translation>Ein &amp;Blockgerät</translation>
    </message>
    <message>
        <source>, read-only</source>
        <translation>, schreibgeschützt</translation>
    </message>
    <message>
        <source>A block device (none with a size on this machine)</source>
        <translation>Ein Blockgerät (auf diesem Rechner keines mit einer Größe)</translation>
    </message>
    <message>
        <source>Choose a file or a device to see what it holds.</source>
        <translation>Wählen Sie eine Datei oder ein Gerät, um zu sehen, was es enthält.</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>%1 wird gelesen …</translation>
    </message>
    <message>
        <source>Choose the origin image</source>
        <translation>Ursprungs-Image wählen</translation>
    </message>
    <message>
        <source>Disk images (*.img *.raw *.bin);;All files (*)</source>
        <translation>Disk-Images (*.img *.raw *.bin);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Size: %1</source>
        <translation>Größe: %1</translation>
    </message>
    <message>
        <source>%1 is mounted read-write on %2. A snapshot of a filesystem in use is only crash-consistent: it looks like the disk after a power cut. Unmount it or freeze it (fsfreeze) for a clean snapshot.</source>
        <translation>%1 ist unter %2 mit Schreibzugriff eingehängt. Ein Snapshot eines Dateisystems im Betrieb ist nur absturzkonsistent: Er sieht aus wie die Platte nach einem Stromausfall. Hängen Sie es aus oder frieren Sie es ein (fsfreeze), um einen sauberen Snapshot zu erhalten.</translation>
    </message>
    <message>
        <source>Choose an origin image or block device.</source>
        <translation>Wählen Sie ein Ursprungs-Image oder Blockgerät.</translation>
    </message>
    <message>
        <source>Still reading %1; press Next again in a moment.</source>
        <translation>%1 wird noch gelesen; klicken Sie gleich noch einmal auf „Weiter“.</translation>
    </message>
    <message>
        <source>%1 does not exist. Choose an existing image or device.</source>
        <translation>%1 existiert nicht. Wählen Sie ein vorhandenes Image oder Gerät.</translation>
    </message>
    <message>
        <source>%1 cannot be read. Check its permissions (block devices usually need root).</source>
        <translation>%1 kann nicht gelesen werden. Prüfen Sie die Zugriffsrechte (Blockgeräte erfordern meist root).</translation>
    </message>
    <message>
        <source>%1 is a folder. Choose an image file or a block device.</source>
        <translation>%1 ist ein Ordner. Wählen Sie eine Image-Datei oder ein Blockgerät.</translation>
    </message>
    <message>
        <source>%1 is empty: there is nothing to take a snapshot of.</source>
        <translation>%1 ist leer: Es gibt nichts, wovon ein Snapshot erstellt werden könnte.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::SnapshotStorePage</name>
    <message>
        <source>Store</source>
        <translation>Speicher</translation>
    </message>
    <message>
        <source>Where the snapshot keeps the chunks the origin overwrites (the kernel&apos;s COW format).</source>
        <translation>Wo der Snapshot die Chunks aufbewahrt, die der Ursprung überschreibt (im COW-Format des Kernels).</translation>
    </message>
    <message>
        <source>B&amp;rowse…</source>
        <translation>D&amp;urchsuchen …</translation>
    </message>
    <message>
        <source>&amp;Store file:</source>
        <translation>Speicher&amp;datei:</translation>
    </message>
    <message>
        <source>Bytes, or with K, M, G or T (powers of 1024), as loopsnapctl takes it.</source>
        <translation>Bytes, oder mit K, M, G oder T (Potenzen von 1024), wie bei loopsnapctl.</translation>
    </message>
    <message>
        <source>Si&amp;ze:</source>
        <translation>&amp;Größe:</translation>
    </message>
    <message>
        <source>&amp;Chunk size:</source>
        <translation>&amp;Chunk-Größe:</translation>
    </message>
    <message>
        <source>P — persistent: kept across a restart. When the store fills, the snapshot becomes invalid for good; the origin carries on.</source>
        <translation>P – persistent: bleibt über einen Neustart erhalten. Wenn der Speicher voll ist, wird der Snapshot endgültig ungültig; der Ursprung arbeitet weiter.</translation>
    </message>
    <message>
        <source>PO — persistent with overflow: kept across a restart. When the store fills, writes to the snapshot fail but its contents stay readable.</source>
        <translation>PO – persistent mit Überlauf: bleibt über einen Neustart erhalten. Wenn der Speicher voll ist, schlagen Schreibzugriffe auf den Snapshot fehl, sein Inhalt bleibt aber lesbar.</translation>
    </message>
    <message>
        <source>N — transient: nothing is kept across a restart (no metadata is written). When the store fills, the snapshot becomes invalid.</source>
        <translation>N – transient: nichts bleibt über einen Neustart erhalten (es werden keine Metadaten geschrieben). Wenn der Speicher voll ist, wird der Snapshot ungültig.</translation>
    </message>
    <message>
        <source>Store type:</source>
        <translation>Speichertyp:</translation>
    </message>
    <message>
        <source>Where to create the store</source>
        <translation>Wo der Speicher angelegt werden soll</translation>
    </message>
    <message>
        <source>Snapshot stores (*.cow);;All files (*)</source>
        <translation>Snapshot-Speicher (*.cow);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Recommended: %1, a quarter of the origin: room for that much of it to change while the snapshot exists.</source>
        <translation>Empfohlen: %1, ein Viertel des Ursprungs: Platz dafür, dass sich so viel davon ändert, solange der Snapshot besteht.</translation>
    </message>
    <message>
        <source>%1 is free on %2.</source>
        <translation>Auf %2 sind %1 frei.</translation>
    </message>
    <message>
        <source>Each first write to a chunk copies %1 into the store. Small chunks copy less for scattered small writes but need more records (16 bytes per chunk); large chunks mean fewer, bigger copies and fill the store faster when writes are scattered.</source>
        <translation>Jeder erste Schreibzugriff auf einen Chunk kopiert %1 in den Speicher. Kleine Chunks kopieren bei verstreuten kleinen Schreibzugriffen weniger, brauchen aber mehr Einträge (16 Bytes pro Chunk); große Chunks bedeuten weniger, dafür größere Kopien und füllen den Speicher bei verstreuten Schreibzugriffen schneller.</translation>
    </message>
    <message>
        <source>A power of two from 4 KiB to 512 KiB.</source>
        <translation>Eine Zweierpotenz von 4 KiB bis 512 KiB.</translation>
    </message>
    <message>
        <source>Choose where to keep the store.</source>
        <translation>Wählen Sie, wo der Speicher liegen soll.</translation>
    </message>
    <message>
        <source>The store cannot be the origin itself. Choose another file for the store.</source>
        <translation>Der Speicher darf nicht der Ursprung selbst sein. Wählen Sie eine andere Datei für den Speicher.</translation>
    </message>
    <message>
        <source>%1 already exists. Choose a new file name (an existing store is added with File ▸ Add existing store).</source>
        <translation>%1 existiert bereits. Wählen Sie einen neuen Dateinamen (einen vorhandenen Speicher fügen Sie mit Datei ▸ Vorhandenen Speicher hinzufügen hinzu).</translation>
    </message>
    <message>
        <source>The folder %1 does not exist.</source>
        <translation>Der Ordner %1 existiert nicht.</translation>
    </message>
    <message>
        <source>You cannot create files in %1. Choose another folder.</source>
        <translation>Sie können in %1 keine Dateien anlegen. Wählen Sie einen anderen Ordner.</translation>
    </message>
    <message>
        <source>“%1” is not a size. Write bytes, or a number with K, M, G or T (for example 256M).</source>
        <translation>„%1“ ist keine Größe. Schreiben Sie Bytes oder eine Zahl mit K, M, G oder T (zum Beispiel 256M).</translation>
    </message>
    <message>
        <source>The chunk size “%1” is out of range: it must be a power of two from 4 KiB to 512 KiB.</source>
        <translation>Die Chunk-Größe „%1“ liegt außerhalb des zulässigen Bereichs: Sie muss eine Zweierpotenz von 4 KiB bis 512 KiB sein.</translation>
    </message>
    <message>
        <source>%1 is too small for %2 chunks: a store needs at least three (header, one metadata area, one data chunk), %3.</source>
        <translation>%1 ist zu klein für Chunks von %2: Ein Speicher braucht mindestens drei (Header, ein Metadatenbereich, ein Daten-Chunk), %3.</translation>
    </message>
    <message>
        <source>%1 has only %2 free, and the store needs %3. Choose a smaller size or a folder on another filesystem.</source>
        <translation>Auf %1 sind nur %2 frei, der Speicher braucht %3. Wählen Sie eine kleinere Größe oder einen Ordner auf einem anderen Dateisystem.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::SnapshotSummaryPage</name>
    <message>
        <source>Summary</source>
        <translation>Zusammenfassung</translation>
    </message>
    <message>
        <source>Nothing has been written yet. Finish creates the store.</source>
        <translation>Bisher wurde nichts geschrieben. „Abschließen“ legt den Speicher an.</translation>
    </message>
    <message>
        <source>The same from a terminal:</source>
        <translation>Dasselbe im Terminal:</translation>
    </message>
    <message>
        <source>Then it is attached as a loop device.</source>
        <translation>Danach wird er als Loop-Gerät eingebunden.</translation>
    </message>
    <message>
        <source>Then it is served over NBD at %1.</source>
        <translation>Danach wird er über NBD unter %1 bereitgestellt.</translation>
    </message>
    <message>
        <source>A snapshot of &lt;b&gt;%1&lt;/b&gt; (%2)&lt;br&gt;in a new %3 store &lt;b&gt;%4&lt;/b&gt; of %5 with %6 chunks.&lt;br&gt;%7</source>
        <translation>Ein Snapshot von &lt;b&gt;%1&lt;/b&gt; (%2)&lt;br&gt;in einem neuen Speicher &lt;b&gt;%4&lt;/b&gt;, Typ %3, %5 groß, mit Chunks von %6.&lt;br&gt;%7</translation>
    </message>
    <message>
        <source>The kernel backend creates it through loopsnap-helper; its device appears in /dev/mapper.</source>
        <translation>Das Kernel-Backend legt ihn über loopsnap-helper an; sein Gerät erscheint in /dev/mapper.</translation>
    </message>
</context>
<context>
    <name>loopsnap::ui::SnapshotWizard</name>
    <message>
        <source>New snapshot</source>
        <translation>Neuer Snapshot</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Block-level snapshots and clones with dm-snapshot / dm-clone semantics.</source>
        <translation>Snapshots und Klone auf Blockebene mit der Semantik von dm-snapshot / dm-clone.</translation>
    </message>
    <message>
        <source>Open a ready demo session in a temporary folder.</source>
        <translation>Eine fertige Demo-Sitzung in einem temporären Ordner öffnen.</translation>
    </message>
    <message>
        <source>Use the workspace in DIR.</source>
        <translation>Den Arbeitsbereich in DIR verwenden.</translation>
    </message>
    <message>
        <source>Render VIEW to the PNG FILE and exit.</source>
        <translation>VIEW als PNG-Datei FILE ausgeben und beenden.</translation>
    </message>
    <message>
        <source>The view for --screenshot: main, wizard, clone-wizard, wizard-backend or a page.</source>
        <translation>Die Ansicht für --screenshot: main, wizard, clone-wizard, wizard-backend oder eine Seite.</translation>
    </message>
</context>
</TS>
