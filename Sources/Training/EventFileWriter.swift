import Foundation
import Images
import Synchronization

/// Writes a TensorBoard event file: TFRecord-framed `Event` protos, starting with the `brain.Event:2` file
/// version, each event handed to the kernel as it is added so TensorBoard sees it at once.
public final class EventFileWriter {
    public let path: String
    private let file: AppendFile

    /// Creates `events.out.tfevents.<seconds>.<host>.<pid>.<n>` in `folder`, n counting the files this process
    /// made (as PyTorch names them; TensorBoard reads a folder's files in name order), and writes the file version.
    public convenience init(folder: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        let name = "events.out.tfevents.\(String(format: "%010d", Int(wallTime))).\(host).\(getpid()).\(Self.created.add(1, ordering: .relaxed).oldValue)"
        try self.init(path: folder + "/" + name, wallTime: wallTime)
    }

    /// Creates a new event file at `path` (an existing file is refused) and writes the file version.
    public init(path: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        self.path = path
        file = try AppendFile(path: path, create: true)
        try write(EventProto.event(wallTime: wallTime, step: 0, .fileVersion("brain.Event:2")))
    }

    /// Marks a restart at `step` (a resumed run): TensorBoard drops what earlier sessions logged at `step` or
    /// later, as PyTorch's `SummaryWriter(purge_step:)` does.
    public func addSessionStart(step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        try write(EventProto.event(wallTime: wallTime, step: step, .sessionStart))
    }

    /// Scalars at `step`, one event holding them all; stored as float32 (`simple_value`).
    public func addScalars(_ scalars: [Scalar], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        guard !scalars.isEmpty else { return }
        let values = scalars.map { EventProto.Value.scalar(tag: $0.name, Float($0.value)) }
        try write(EventProto.event(wallTime: wallTime, step: step, .summary(values)))
    }

    /// An image already encoded as PNG (or JPEG), with its size and channel count.
    public func addImage(_ tag: String, encoded: [UInt8], height: Int, width: Int, channels: Int, step: Int,
                         wallTime: Double = Date().timeIntervalSince1970) throws
    {
        let value = EventProto.Value.image(tag: tag, png: encoded, height: height, width: width, channels: channels)
        try write(EventProto.event(wallTime: wallTime, step: step, .summary([value])))
    }

    /// An image, PNG-encoded.
    public func addImage(_ tag: String, _ image: Image, step: Int, wallTime: Double = Date().timeIntervalSince1970)
        throws
    {
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("event-image-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).png").path
        defer { FileSystem.remove(temporary) }
        try image.write(to: temporary)
        guard let png = FileManager.default.contents(atPath: temporary) else {
            throw TrainingError(path: temporary, "cannot read back the encoded image")
        }
        try addImage(tag, encoded: Array(png), height: image.height, width: image.width, channels: image.channels,
                     step: step, wallTime: wallTime)
    }

    private static let created = Atomic<Int>(0)

    private func write(_ event: [UInt8]) throws { try file.write(TFRecord.frame(event)) }
}
