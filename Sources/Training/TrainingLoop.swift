import Foundation

/// How a run ended.
public enum TrainingOutcome: Equatable, Sendable {
    /// All `TrainingOptions.iterations` are done (`checkpoint` is nil when a resumed run had none left to do).
    case finished(iteration: Int, checkpoint: String?)
    /// SIGINT or SIGTERM: the step in progress finished and `checkpoint` holds the state after it.
    case interrupted(iteration: Int, checkpoint: String?)
}

/// Runs a `Trainer` from its start or resumed iteration to `TrainingOptions.iterations`, and keeps the run
/// folder: the configuration, checkpoints (temporary file, then rename), `log.jsonl`, sample grids,
/// TensorBoard events and the progress line. Only rank 0 writes files; every rank loads the checkpoint.
///
/// Each process stops on its own SIGINT or SIGTERM, so with several processes the launcher signals them all
/// (as torchrun does).
public struct TrainingLoop {
    public let run: RunDirectory
    public var options: TrainingOptions
    public var group: any ProcessGroup
    public var progress: ProgressMode
    /// The wall clock, in seconds since 1970 (log lines, events, rates).
    var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
    /// Where progress and messages go.
    var output: (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }

    public init(run: RunDirectory, options: TrainingOptions, group: any ProcessGroup = SingleProcess(),
                progress: ProgressMode = .automatic)
    {
        self.run = run
        self.options = options
        self.group = group
        self.progress = progress
    }

    /// Trains `trainer`, writing `config` (the run's full configuration, this loop's options included) to
    /// `config.json` first. Errors name the file or folder at fault; a failed checkpoint leaves the previous one.
    public func train(_ trainer: some Trainer, config: some Encodable) throws -> TrainingOutcome {
        try options.validate()
        guard trainer.batchSize > 0 else { throw TrainingError("the trainer's batch size is \(trainer.batchSize)") }
        let main = group.isMain
        let checkpoints = run.checkpoints(fileExtension: trainer.checkpointExtension)
        if main {
            try run.prepare()
            try checkpoints.removeLeftovers()
        }
        let start = try resume(trainer, from: checkpoints)
        let reporter = ProgressReporter(mode: main ? progress : .quiet, now: clock, output: output)
        defer { reporter.finish() }
        guard start < options.iterations else {
            reporter.message("\(run.path): \(start) of \(options.iterations) iterations already done")
            return .finished(iteration: start, checkpoint: nil)
        }
        var files: RunFiles?
        if main {
            try run.writeConfig(config)
            files = try RunFiles(run: run, start: start, wallTime: clock())
        }
        if let files, start == 0, options.sampleEvery != nil { try files.sample(trainer, at: 0, wallTime: clock()) }

        let images = trainer.batchSize * group.worldSize
        reporter.begin(at: start)
        var saved: String?
        return try InterruptTrap.during {
            for index in start..<options.iterations {
                let report = try trainer.step(Iteration(index: index, total: options.iterations, group: group))
                let done = index + 1
                let kimg = Double(done * images) / 1000
                reporter.update(iteration: done, total: options.iterations, kimg: kimg, scalars: report.scalars)

                let metrics = try options.evaluateEvery.map { done % $0 == 0 } == true
                    ? trainer.evaluate(at: done, group: group) : []
                if let files {
                    let now = clock()
                    if done % options.logEvery == 0 || done == options.iterations || !metrics.isEmpty {
                        try files.log(report.scalars, metrics: metrics, iteration: done, kimg: kimg, wallTime: now)
                    }
                    try files.images(report.images, iteration: done, wallTime: now)
                    if let every = options.sampleEvery, done % every == 0 { try files.sample(trainer, at: done, wallTime: now) }
                }

                let interrupted = InterruptTrap.received != 0
                guard interrupted || done % options.checkpointEvery == 0 || done == options.iterations else { continue }
                saved = nil
                if main {
                    saved = try checkpoints.save(iteration: done, keep: options.keepCheckpoints) {
                        try trainer.saveState(to: $0, iteration: done)
                    }
                }
                if interrupted {
                    reporter.message("\(run.path): interrupted after iteration \(done)"
                        + (saved.map { "; resume from \($0)" } ?? ""))
                    return .interrupted(iteration: done, checkpoint: saved)
                }
            }
            return .finished(iteration: options.iterations, checkpoint: saved)
        }
    }

    /// Loads the checkpoint `options.resume` names and returns its iteration (0 for a fresh start).
    private func resume(_ trainer: some Trainer, from checkpoints: CheckpointFolder) throws -> Int {
        let path: String
        switch options.resume {
        case .fresh:
            if let last = try existing(checkpoints).last {
                throw TrainingError(path: run.path, "already holds checkpoints (up to \(last.path)); resume it with "
                    + "resume auto, or train in another folder")
            }
            return 0
        case .auto:
            guard let last = try existing(checkpoints).last else { return 0 }
            path = last.path
        case .checkpoint(let file):
            guard FileSystem.kind(of: file) == .other else {
                throw TrainingError(path: file, FileSystem.kind(of: file) == .missing
                    ? "no such checkpoint" : "is a folder, not a checkpoint")
            }
            path = file
        }
        let recorded: Int?
        do {
            recorded = try trainer.loadState(from: path)
        } catch {
            throw TrainingError(path: path, "cannot resume from this checkpoint: \(error)")
        }
        guard let iteration = recorded ?? Self.iteration(named: path) else {
            throw TrainingError(path: path, "the checkpoint does not record its iteration; name it NNNNNN."
                + "\(trainer.checkpointExtension) after the iterations it holds")
        }
        guard iteration >= 0 else { throw TrainingError(path: path, "records iteration \(iteration)") }
        return iteration
    }

    /// The checkpoints in the run folder; none when it does not exist yet (only rank 0 creates it).
    private func existing(_ checkpoints: CheckpointFolder) throws -> [(iteration: Int, path: String)] {
        FileSystem.kind(of: checkpoints.path) == .folder ? try checkpoints.list() : []
    }

    /// The iteration in a checkpoint's file name (`010000.pt` -> 10000), as rosinality's train.py reads it.
    static func iteration(named path: String) -> Int? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let stem = name.split(separator: ".", maxSplits: 1).first ?? ""
        return stem.allSatisfy(\.isASCIIDigit) ? Int(stem) : nil
    }
}
