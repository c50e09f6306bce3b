// The user's language for the desktop app: the app's own translation (translations/, compiled
// into loopsnap_ui's resources at :/i18n/loopsnap_<lang>.qm) and Qt's own strings
// (qtbase_<lang>.qm from Qt's translations folder, /usr/share/qt6/translations on Debian, package
// qt6-translations-l10n). Under both lies :/i18n/loopsnap_en.qm, the English plural forms of the
// %n strings ("1 snapshot", "2 snapshots"), installed for every locale since the sources are
// English. The CLI (loopsnapctl) is not translated.
//
// Threads: GUI thread, once in main() after the QApplication exists and before any widget is
// built (widgets read their texts when they are created).
#pragma once

#include <QLocale>
#include <QString>

class QCoreApplication;

namespace loopsnap::ui {

struct InstalledTranslations {
    QString plurals; // the English plural forms, installed first (searched last)
    QString app;   // the .qm file loaded for Loopsnap's strings, "" for English or no match
    QString qt;    // the .qm file loaded for Qt's strings, "" if none matched the locale
};

// Loads and installs both translations for `locale` (QLocale() = the system locale, from
// LANG/LC_ALL/LC_MESSAGES). The translators are children of `app`, so they live as long as it.
InstalledTranslations installTranslations(QCoreApplication& app, const QLocale& locale = QLocale());

}  // namespace loopsnap::ui
