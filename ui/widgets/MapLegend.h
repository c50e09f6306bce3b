// MapLegend: a row of colour swatches with their names and optional counts, beside a cell map.
// Thread: GUI thread only.
#pragma once

#include <QWidget>

namespace loopsnap::ui {

class MapLegend : public QWidget {
    Q_OBJECT
public:
    explicit MapLegend(QWidget* parent = nullptr);
    void setEntries(const QVector<QColor>& colors, const QStringList& names);
    // Text after each name ("12,345"); empty strings show the name alone.
    void setCounts(const QStringList& counts);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QString label(int i) const;
    QVector<QColor> colors_;
    QStringList names_, counts_;
};

}  // namespace loopsnap::ui
