#include "ui/wizards/WizardSupport.h"

#include <QCoreApplication>
#include <QLocale>
#include <QPointer>
#include <QRegularExpression>
#include <QThreadPool>

#include "core/io/nbd_source_device.h"
#include "core/util/size.h"
#include "ui/text/Sizes.h"

namespace loopsnap::ui {

ValidationLabel::ValidationLabel(QWidget* parent) : QLabel(parent) {
    setObjectName(QStringLiteral("validation"));
    setWordWrap(true);
    setStyleSheet(QStringLiteral("color:#b3261e; font-weight:bold;"));
    setVisible(false);
}

void ValidationLabel::fail(const QString& text) {
    setText(text);
    setVisible(true);
}

void ValidationLabel::clearMessage() {
    clear();
    setVisible(false);
}

QLabel* makeWarningLabel(QWidget* parent, const QString& objectName) {
    auto* l = new QLabel(parent);
    l->setObjectName(objectName);
    l->setWordWrap(true);
    l->setStyleSheet(QStringLiteral("color:#8a5300;"));
    l->setVisible(false);
    return l;
}

QLabel* makeNoteLabel(QWidget* parent) {
    auto* l = new QLabel(parent);
    l->setWordWrap(true);
    QPalette p = l->palette();
    p.setColor(QPalette::WindowText, p.color(QPalette::PlaceholderText));
    l->setPalette(p);
    return l;
}

QString shellQuote(const QString& arg) {
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9_./:=@%+,-]+$"));
    if (!arg.isEmpty() && safe.match(arg).hasMatch()) return arg;
    QString s = arg;
    s.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + s + QLatin1Char('\'');
}

QString humanSize(uint64_t bytes) { return formatBytes(double(bytes)); }

std::optional<uint64_t> parseSizeText(const QString& text) {
    // "16 KiB" as the app writes it (a no-break space before the unit) reads as "16KiB".
    QString compact = text;
    compact.remove(QChar(0x00a0));
    compact.remove(QLatin1Char(' '));
    auto r = parseSize(compact.toStdString());
    if (!r.ok()) return std::nullopt;
    return *r;
}

QString cliSize(uint64_t bytes) {
    const char* units = "KMGT";
    int unit = -1;
    uint64_t v = bytes;
    while (v && v % 1024 == 0 && unit < 3) {
        v /= 1024;
        ++unit;
    }
    return unit < 0 ? QString::number(bytes) : QString::number(v) + QLatin1Char(units[unit]);
}

Result<SourceFacts> probeSource(const QString& pathOrUri) {
    SourceFacts facts;
    facts.what = pathOrUri;
    const std::string s = pathOrUri.trimmed().toStdString();
    if (NbdSourceDevice::isNbdUri(s)) {
        facts.isNbd = true;
        LS_ASSIGN(auto dev, NbdSourceDevice::open(s));
        facts.sizeBytes = dev->size();
        return facts;
    }
    LS_ASSIGN(BlockProbe probe, probeBlockContents(s));
    facts.sizeBytes = probe.sizeBytes;
    facts.probe = probe;
    return facts;
}

AsyncProber::AsyncProber(QObject* parent) : QObject(parent) {
    debounce_.setSingleShot(true);
    debounce_.setInterval(150);
    connect(&debounce_, &QTimer::timeout, this, &AsyncProber::run);
}

void AsyncProber::request(const QString& pathOrUri) {
    subject_ = pathOrUri.trimmed();
    last_.reset();
    ++generation_;
    pending_ = !subject_.isEmpty();
    if (pending_) debounce_.start();
    else emit finished();
}

void AsyncProber::run() {
    const int generation = generation_;
    const QString subject = subject_;
    QPointer<AsyncProber> self(this);
    QThreadPool::globalInstance()->start([self, generation, subject] {
        auto result = std::make_shared<Result<SourceFacts>>(probeSource(subject));
        QMetaObject::invokeMethod(qApp, [self, generation, result] {
            if (!self || generation != self->generation_) return;  // superseded
            self->pending_ = false;
            self->last_ = *result;
            emit self->finished();
        }, Qt::QueuedConnection);
    });
}

}  // namespace loopsnap::ui
