// MessageArea: engine errors (and notes) in the user's language above the device view, newest
// first, each with a close button; at most a few stay visible. Text comes from ui/text/.
// GUI thread only.
#pragma once

#include <QFrame>
#include <QStringList>

class QVBoxLayout;

namespace loopsnap::ui {

class MessageArea : public QFrame {
    Q_OBJECT
public:
    enum class Kind { Error, Warning, Info };
    explicit MessageArea(QWidget* parent = nullptr);
    void showMessage(Kind kind, const QString& heading, const QString& text, const QString& technical = {});
    int count() const;
    QStringList texts() const;  // heading + text of each visible message (tests, accessibility)

private:
    QVBoxLayout* layout_;
    static constexpr int kMaxVisible = 3;
};

}  // namespace loopsnap::ui
