#include "ui/text/Language.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QTranslator>

namespace loopsnap::ui {
namespace {

// QTranslator::load(locale, ...) tries each of the locale's UI languages in turn
// (de_DE -> loopsnap_de_DE.qm, loopsnap_de.qm), so one German file serves de_AT and de_CH too.
QString loadAndInstall(QCoreApplication& app, const QLocale& locale, const QString& name,
                       const QString& directory) {
    auto* translator = new QTranslator(&app);
    if (!translator->load(locale, name, QStringLiteral("_"), directory)) {
        delete translator;
        return {};
    }
    app.installTranslator(translator);
    return translator->filePath();
}

}  // namespace

InstalledTranslations installTranslations(QCoreApplication& app, const QLocale& locale) {
    InstalledTranslations installed;
    // Translators installed later are searched first: the plural forms go in first, so a
    // language's own plural forms win over the English ones.
    auto* plurals = new QTranslator(&app);
    if (plurals->load(QStringLiteral(":/i18n/loopsnap_en.qm"))) {
        app.installTranslator(plurals);
        installed.plurals = plurals->filePath();
    } else {
        delete plurals;
    }
    installed.qt = loadAndInstall(app, locale, QStringLiteral("qtbase"),
                                  QLibraryInfo::path(QLibraryInfo::TranslationsPath));
    if (locale.language() != QLocale::English && locale.language() != QLocale::C)
        installed.app = loadAndInstall(app, locale, QStringLiteral("loopsnap"), QStringLiteral(":/i18n"));
    return installed;
}

}  // namespace loopsnap::ui
