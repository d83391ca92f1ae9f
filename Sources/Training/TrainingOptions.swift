/// Where a run starts. In JSON: `"fresh"`, `"auto"` or `{"checkpoint": PATH}`.
public enum Resume: Codable, Equatable, Sendable {
    /// From the trainer's initial state; refused when the run folder already holds checkpoints.
    case fresh
    /// From the run's last checkpoint, or fresh when it has none (`--resume auto`).
    case auto
    /// From this checkpoint file (`--resume PATH`, rosinality's `--ckpt`).
    case checkpoint(path: String)

    private enum Key: CodingKey { case checkpoint }

    public init(from decoder: any Decoder) throws {
        if let word = try? decoder.singleValueContainer().decode(String.self) {
            switch word {
            case "fresh": self = .fresh
            case "auto": self = .auto
            default:
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                    "resume is \"\(word)\"; expected \"fresh\", \"auto\" or {\"checkpoint\": PATH}"))
            }
        } else {
            self = .checkpoint(path: try decoder.container(keyedBy: Key.self).decode(String.self, forKey: .checkpoint))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .fresh:
            var word = encoder.singleValueContainer()
            try word.encode("fresh")
        case .auto:
            var word = encoder.singleValueContainer()
            try word.encode("auto")
        case .checkpoint(let path):
            var object = encoder.container(keyedBy: Key.self)
            try object.encode(path, forKey: .checkpoint)
        }
    }
}

/// The loop's part of a run's configuration: length, cadences and resumption. Iterations are counted as
/// completed steps: checkpoint `000100` holds the state after 100 steps, and resuming from it runs step
/// index 100 next.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// Iterations of the whole run, resumed ones included (`--iter`).
    public var iterations: Int
    /// A checkpoint every this many iterations (`--save_every`), and one at the end of the run.
    public var checkpointEvery: Int
    /// How many checkpoints to keep, the newest; nil keeps all, as rosinality's train.py.
    public var keepCheckpoints: Int?
    /// A sample grid every this many iterations (`--sample_every`); nil for none.
    public var sampleEvery: Int?
    /// An evaluation every this many iterations; nil for none.
    public var evaluateEvery: Int?
    /// A line in `log.jsonl` and TensorBoard scalars every this many iterations.
    public var logEvery: Int
    public var resume: Resume

    public init(iterations: Int, checkpointEvery: Int = 10000, keepCheckpoints: Int? = nil, sampleEvery: Int? = 100,
                evaluateEvery: Int? = nil, logEvery: Int = 1, resume: Resume = .fresh)
    {
        self.iterations = iterations
        self.checkpointEvery = checkpointEvery
        self.keepCheckpoints = keepCheckpoints
        self.sampleEvery = sampleEvery
        self.evaluateEvery = evaluateEvery
        self.logEvery = logEvery
        self.resume = resume
    }

    /// Throws for a count or cadence below 1 (iterations may be 0).
    public func validate() throws {
        func positive(_ value: Int?, _ name: String) throws {
            if let value, value < 1 { throw TrainingError("\(name) must be at least 1, got \(value)") }
        }
        if iterations < 0 { throw TrainingError("iterations must not be negative, got \(iterations)") }
        try positive(checkpointEvery, "checkpointEvery")
        try positive(keepCheckpoints, "keepCheckpoints")
        try positive(sampleEvery, "sampleEvery")
        try positive(evaluateEvery, "evaluateEvery")
        try positive(logEvery, "logEvery")
    }
}

