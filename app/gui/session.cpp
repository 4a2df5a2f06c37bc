// SPDX-License-Identifier: MIT
#include "session.h"

#include <recording.h>

#include <QTemporaryDir>

namespace FlowScope::Gui {

Engine::Options sessionEngineOptions(int queueBatches)
{
    Engine::Options options;
    options.viewSample = 500;
    options.queueBatches = queueBatches;
    options.instancesIntervalMs = 250; // the saga instance table
    options.threadNice = WorkerNice;
    return options;
}

std::unique_ptr<RecordingWriter> createSessionRecording(const QTemporaryDir& dir, const QString& name, QString* error)
{
    if (!dir.isValid()) {
        *error = QStringLiteral("cannot create a temporary directory for the recording: %1").arg(dir.errorString());
        return nullptr;
    }
    auto writer = RecordingWriter::create(dir.filePath(name), error, WriteMode::Live);
    if (!writer || !writer->setRetention(SessionRetention, error))
        return nullptr;
    return writer;
}

} // namespace FlowScope::Gui
