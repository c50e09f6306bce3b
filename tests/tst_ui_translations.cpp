// The desktop app's translations (translations/*.ts):
//  - each .ts holds exactly the strings lupdate finds in ui/ and app/loopsnap/ today (same
//    lupdate, same sources, same options as `ninja update_translations`, run into a scratch
//    file; compared by context, source text and comment, never by line number);
//  - no entry is unfinished, vanished or empty, and every %1..%99 of a source is kept;
//  - the compiled .qm in the resources translates every entry at run time, Qt's own strings
//    (qtbase_de) load beside it, and an English locale loads neither;
//  - the texts the app really shows come out German: engine states and errors (ui/text/) and a
//    class's tr(), whose run-time context (the meta-object's class name) must be lupdate's.
// The lupdate invocation comes from translations/Translations.cmake (lupdate-check.txt).
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QLibraryInfo>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>
#include <QXmlStreamReader>

#include "ui/demo/DemoSession.h"   // MainWindow.h holds a QPointer<DemoSession>
#include "ui/pages/MainWindow.h"
#include "ui/text/ErrorText.h"
#include "ui/text/Language.h"

#ifndef LOOPSNAP_TRANSLATION_CHECK_FILE
#error "LOOPSNAP_TRANSLATION_CHECK_FILE is set by installer/Packaging.cmake"
#endif

namespace {

struct Message {
    QString context;
    QString source;
    QString comment;
    bool numerus = false;
    QString type;                // translation type attribute: "", "unfinished", "vanished", "obsolete"
    QStringList translations;    // one, or one per numerus form

    QString key() const { return context + QChar(u'\x1f') + source + QChar(u'\x1f') + comment; }
};

struct TsFile {
    QString language;
    QList<Message> messages;
    QString error;
};

TsFile readTs(const QString& path) {
    TsFile ts;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        ts.error = path + QStringLiteral(": ") + file.errorString();
        return ts;
    }
    QXmlStreamReader xml(&file);
    QString context;
    Message message;
    bool inMessage = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isEndElement() && xml.name() == u"message") {
            ts.messages.append(message);
            inMessage = false;
        }
        if (!xml.isStartElement())
            continue;
        const auto name = xml.name();
        if (name == u"TS") {
            ts.language = xml.attributes().value(QLatin1String("language")).toString();
        } else if (name == u"name") {
            context = xml.readElementText();
        } else if (name == u"message") {
            message = Message{};
            message.context = context;
            message.numerus = xml.attributes().value(QLatin1String("numerus")) == u"yes";
            inMessage = true;
        } else if (inMessage && name == u"source") {
            message.source = xml.readElementText();
        } else if (inMessage && name == u"comment") {
            message.comment = xml.readElementText();
        } else if (inMessage && name == u"translation") {
            message.type = xml.attributes().value(QLatin1String("type")).toString();
            if (!message.numerus)   // else the numerusform elements follow
                message.translations = {xml.readElementText()};
        } else if (inMessage && name == u"numerusform") {
            message.translations.append(xml.readElementText());
        }
    }
    if (xml.hasError())
        ts.error = path + QStringLiteral(": ") + xml.errorString();
    return ts;
}

struct CheckConfig {
    QString lupdate;
    QString sourcesList;
    QStringList options;
    QStringList tsFiles;
    QString pluralsTs;   // loopsnap_en.ts: lupdate -pluralonly
};

CheckConfig readCheckConfig() {
    CheckConfig config;
    QFile file(QStringLiteral(LOOPSNAP_TRANSLATION_CHECK_FILE));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return config;
    for (const QString& line : QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts)) {
        const qsizetype eq = line.indexOf(u'=');
        const QString key = line.left(eq), value = line.mid(eq + 1);
        if (key == u"lupdate")
            config.lupdate = value;
        else if (key == u"sources")
            config.sourcesList = value;
        else if (key == u"option")
            config.options.append(value);
        else if (key == u"ts")
            config.tsFiles.append(value);
        else if (key == u"plurals_ts")
            config.pluralsTs = value;
    }
    return config;
}

QStringList placeholders(const QString& text) {
    static const QRegularExpression re(QStringLiteral("%(\\d{1,2})"));
    QStringList found;
    for (auto it = re.globalMatch(text); it.hasNext();)
        found.append(it.next().captured(0));
    found.sort();
    found.removeDuplicates();
    return found;
}

QString describe(const Message& m) {
    return QStringLiteral("[%1] \"%2\"%3").arg(m.context, m.source,
        m.comment.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(m.comment));
}

void removeInstalledTranslators() {
    const auto translators = qApp->findChildren<QTranslator*>(Qt::FindDirectChildrenOnly);
    for (QTranslator* t : translators)
        delete t;   // ~QTranslator removes it from the application
}

}  // namespace

class TestUiTranslations : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        config_ = readCheckConfig();
        QVERIFY2(!config_.lupdate.isEmpty(), LOOPSNAP_TRANSLATION_CHECK_FILE " missing or without lupdate=");
        QVERIFY2(QFileInfo(config_.lupdate).isExecutable(), qPrintable(config_.lupdate));
        QVERIFY2(!config_.tsFiles.isEmpty(), "no translations/loopsnap_*.ts");
    }

    void tsMatchesSources_data() {
        QTest::addColumn<QString>("tsPath");
        QTest::addColumn<bool>("pluralOnly");
        for (const QString& ts : config_.tsFiles)
            QTest::newRow(qPrintable(QFileInfo(ts).fileName())) << ts << false;
        QTest::newRow("loopsnap_en.ts (plural forms)") << config_.pluralsTs << true;
    }

    void tsMatchesSources() {
        QFETCH(QString, tsPath);
        QFETCH(bool, pluralOnly);
        QVERIFY2(QFileInfo::exists(tsPath), qPrintable(tsPath));
        QTemporaryDir scratch;
        QVERIFY(scratch.isValid());
        const QString fresh = scratch.filePath(QFileInfo(tsPath).fileName());
        QProcess lupdate;
        lupdate.setProcessChannelMode(QProcess::MergedChannels);
        lupdate.start(config_.lupdate, config_.options +
            (pluralOnly ? QStringList{QStringLiteral("-pluralonly")} : QStringList{}) + QStringList{
            QStringLiteral("@") + config_.sourcesList, QStringLiteral("-ts"), fresh});
        QVERIFY2(lupdate.waitForFinished(120000), "lupdate did not finish");
        const QByteArray log = lupdate.readAll();
        QVERIFY2(lupdate.exitStatus() == QProcess::NormalExit && lupdate.exitCode() == 0, log.constData());

        const TsFile committed = readTs(tsPath);
        const TsFile current = readTs(fresh);
        QVERIFY2(committed.error.isEmpty(), qPrintable(committed.error));
        QVERIFY2(current.error.isEmpty(), qPrintable(current.error));

        QMap<QString, Message> inSources, inTs;
        for (const Message& m : current.messages)
            inSources.insert(m.key(), m);
        for (const Message& m : committed.messages)
            if (m.type != u"vanished" && m.type != u"obsolete")
                inTs.insert(m.key(), m);

        QStringList problems;
        for (auto it = inSources.cbegin(); it != inSources.cend(); ++it)
            if (!inTs.contains(it.key()))
                problems << QStringLiteral("new in the sources, not in the .ts: ") + describe(*it);
        for (auto it = inTs.cbegin(); it != inTs.cend(); ++it)
            if (!inSources.contains(it.key()))
                problems << QStringLiteral("in the .ts, gone from the sources: ") + describe(*it);
            else if (inSources[it.key()].numerus != it->numerus)
                problems << QStringLiteral("plural form changed: ") + describe(*it);
        QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral(
            "%1 differs from the sources (%2 strings there); run `ninja -C build update_translations`, "
            "translate, commit:\n  %3").arg(tsPath).arg(inSources.size()).arg(problems.join(QStringLiteral("\n  ")))));
        QVERIFY2(!inSources.isEmpty(), "lupdate found no string at all: the source list is wrong");
    }

    void tsComplete_data() { tsMatchesSources_data(); }

    void tsComplete() {
        QFETCH(QString, tsPath);
        QFETCH(bool, pluralOnly);
        const TsFile ts = readTs(tsPath);
        QVERIFY2(ts.error.isEmpty(), qPrintable(ts.error));
        QVERIFY2(!ts.language.isEmpty(), "the TS element has no language");
        QStringList problems;
        for (const Message& m : ts.messages) {
            if (!m.type.isEmpty()) {
                problems << m.type + QStringLiteral(": ") + describe(m);
                continue;
            }
            if (m.translations.isEmpty())
                problems << QStringLiteral("no translation: ") + describe(m);
            if (pluralOnly && !m.numerus)
                problems << QStringLiteral("not a plural string: ") + describe(m);
            if (pluralOnly && m.translations.size() != 2)
                problems << QStringLiteral("English has two plural forms: ") + describe(m);
            for (const QString& t : m.translations) {
                if (t.trimmed().isEmpty())
                    problems << QStringLiteral("empty translation: ") + describe(m);
                else if (placeholders(t) != placeholders(m.source))
                    problems << QStringLiteral("placeholders %1 vs %2: ").arg(
                        placeholders(m.source).join(u','), placeholders(t).join(u',')) + describe(m);
            }
        }
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
    }

    // Every entry of the German .ts comes out of the compiled .qm (the resource the app loads).
    void germanTranslatesEveryEntry() {
        removeInstalledTranslators();
        const auto installed = loopsnap::ui::installTranslations(*qApp, QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(installed.app, QStringLiteral(":/i18n/loopsnap_de.qm"));
        QVERIFY2(!installed.qt.isEmpty(), "qtbase_de.qm not found (package qt6-translations-l10n)");
        QVERIFY(installed.qt.startsWith(QLibraryInfo::path(QLibraryInfo::TranslationsPath)));
        QCOMPARE(QCoreApplication::translate("QPlatformTheme", "Cancel"), QStringLiteral("Abbrechen"));

        QString dePath;
        for (const QString& ts : config_.tsFiles)
            if (ts.endsWith(QStringLiteral("loopsnap_de.ts")))
                dePath = ts;
        QVERIFY2(!dePath.isEmpty(), "translations/loopsnap_de.ts missing");
        const TsFile ts = readTs(dePath);
        QVERIFY(!ts.messages.isEmpty());
        QStringList wrong;
        for (const Message& m : ts.messages) {
            const QByteArray context = m.context.toUtf8(), source = m.source.toUtf8(), comment = m.comment.toUtf8();
            const QString got = QCoreApplication::translate(context.constData(), source.constData(),
                comment.isEmpty() ? nullptr : comment.constData(), m.numerus ? 1 : -1);
            QString want = m.translations.value(0);
            if (m.numerus)   // translate() fills in n (1 picks the first German form)
                want.replace(QStringLiteral("%n"), QStringLiteral("1"));
            if (got != want)
                wrong << describe(m) + QStringLiteral(" -> \"%1\", expected \"%2\"").arg(got, want);
        }
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(u'\n')));
        removeInstalledTranslators();
    }

    // The code paths the app uses, not the .ts: a context lupdate writes differently from the
    // one tr() looks up at run time leaves the app English while every entry above passes.
    void germanReachesTheApp() {
        removeInstalledTranslators();
        loopsnap::ui::installTranslations(*qApp, QLocale(QLocale::German, QLocale::Germany));
        using loopsnap::ui::stateText;
        QCOMPARE(stateText(loopsnap::DeviceState::Valid), QStringLiteral("gültig"));
        QCOMPARE(stateText(loopsnap::DeviceState::Invalid), QStringLiteral("ungültig"));
        QCOMPARE(loopsnap::ui::jobStateText(loopsnap::JobState::Running), QStringLiteral("läuft"));
        const loopsnap::Error missing{loopsnap::ErrorCode::NotFound, "no such file", "/srv/a.cow", "missing"};
        QVERIFY2(loopsnap::ui::errorText(missing).startsWith(QStringLiteral("/srv/a.cow existiert nicht.")),
                 qPrintable(loopsnap::ui::errorText(missing)));
        QCOMPARE(loopsnap::ui::actionText(QStringLiteral("open-workspace")),
                 QStringLiteral("Der Arbeitsbereich konnte nicht geöffnet werden"));
        QCOMPARE(loopsnap::ui::MainWindow::tr("&File"), QStringLiteral("&Datei"));
        removeInstalledTranslators();
    }

    // English needs no translation but its plural forms: "1 snapshot", never "1 snapshot(s)".
    void englishGetsPluralFormsOnly_data() {
        QTest::addColumn<QLocale>("locale");
        QTest::newRow("en_US") << QLocale(QLocale::English, QLocale::UnitedStates);
        QTest::newRow("en_GB") << QLocale(QLocale::English, QLocale::UnitedKingdom);
        QTest::newRow("C") << QLocale::c();
        QTest::newRow("fr_FR (no translation)") << QLocale(QLocale::French, QLocale::France);
    }

    void englishGetsPluralFormsOnly() {
        QFETCH(QLocale, locale);
        removeInstalledTranslators();
        const auto installed = loopsnap::ui::installTranslations(*qApp, locale);
        QVERIFY2(installed.app.isEmpty(), qPrintable(installed.app));
        QCOMPARE(installed.plurals, QStringLiteral(":/i18n/loopsnap_en.qm"));
        if (locale.language() == QLocale::English)
            QCOMPARE(QCoreApplication::translate("QPlatformTheme", "Cancel"), QStringLiteral("Cancel"));
        QCOMPARE(loopsnap::ui::MainWindow::tr(" · %n snapshot(s)", nullptr, 1), QStringLiteral(" · 1 snapshot"));
        QCOMPARE(loopsnap::ui::MainWindow::tr(" · %n snapshot(s)", nullptr, 3), QStringLiteral(" · 3 snapshots"));
        QCOMPARE(loopsnap::ui::MainWindow::tr(" · %n clone(s)", nullptr, 0), QStringLiteral(" · 0 clones"));
        removeInstalledTranslators();
    }

    // German plural forms win over the English ones installed beneath them.
    void germanPluralsOverEnglish() {
        removeInstalledTranslators();
        const auto installed = loopsnap::ui::installTranslations(*qApp, QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(installed.plurals, QStringLiteral(":/i18n/loopsnap_en.qm"));
        const QString one = loopsnap::ui::MainWindow::tr(" · %n snapshot(s)", nullptr, 1);
        QVERIFY2(!one.contains(QStringLiteral("(s)")) && one != QStringLiteral(" · 1 snapshot"), qPrintable(one));
        removeInstalledTranslators();
    }

private:
    CheckConfig config_;
};

QTEST_GUILESS_MAIN(TestUiTranslations)
#include "tst_ui_translations.moc"
