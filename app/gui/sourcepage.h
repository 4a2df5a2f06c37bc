// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

class QComboBox;
class QDateTime;
class QDateTimeEdit;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSettings;
class QSpinBox;

namespace FlowScope::Connectors {
class Source;
}

namespace FlowScope::Gui {

// One page of the Connect dialog (ConnectDialog): the settings of one kind of live source, as
// a form. A page only collects them: createSource() builds the source without starting it, and
// MainWindow starts it in a LiveSession and shows in its banner what is wrong (a bad URL, a port
// in use, a missing file), as for every other error.
//
// The fields a page registers with keep() open with their last values and are saved by
// remember() under the page's settings group. A secret (the webhook's HMAC key) is never
// registered: it is neither saved nor shown anywhere but in its password field.
class SourcePage : public QWidget {
    Q_OBJECT
public:
    // The kind names the page's tab and the session in the status bar ("WebSocket").
    SourcePage(const QString& kind, const QString& settingsGroup, QWidget* parent = nullptr);

    QString kind() const { return m_kind; }
    // The source these settings describe, not started; null with *error set (naming the field)
    // when they cannot make one. Problems only starting can tell (a refused port) come later.
    virtual std::unique_ptr<Connectors::Source> createSource(QString* error) const = 0;
    void remember() const; // the kept fields into the settings, for the next time

protected:
    // Gives the field its last value (or `fallback`) now, and saves it in remember(). `save`,
    // when given, turns the text into what is saved (a URL without its credentials).
    void keep(QLineEdit* field, const QString& key, const QString& fallback = {},
        std::function<QString(const QString&)> save = {});
    // A URL is saved without its password and with credential-like query values as "***"
    // (Connectors::redactedUrl): a token in a URL is a secret too.
    void keepUrl(QLineEdit* field, const QString& key);
    void keep(QComboBox* field, const QString& key, int fallbackData); // by item data (an int)
    void keep(QSpinBox* field, const QString& key, int fallback);
    void keep(QDoubleSpinBox* field, const QString& key, double fallback);
    void keep(QDateTimeEdit* field, const QString& key, const QDateTime& fallback); // as ms since the epoch
    // A form row: `label`, then `field`, with `toolTip` on both.
    void addRow(const QString& label, QWidget* field, const QString& toolTip = {});
    void addRow(const QString& label, QLayout* fields);
    // A line of help under the form, in the palette's placeholder colour.
    QLabel* addNote(const QString& text);
    // The channel field's value as the sources take it: null (the URL's path) when empty.
    static QByteArray channel(const QLineEdit* field);
    // A line edit named `objectName` (tests fill fields as a user does) with a placeholder.
    QLineEdit* lineEdit(const QString& objectName, const QString& placeholder);
    // `field` followed by a Browse… button that asks for a file to open.
    QLayout* withBrowse(QLineEdit* field, const QString& caption, const QString& filter);

private:
    QString m_kind;
    QString m_group;
    QFormLayout* m_form;
    std::vector<std::function<void(QSettings&)>> m_savers;
};

} // namespace FlowScope::Gui
