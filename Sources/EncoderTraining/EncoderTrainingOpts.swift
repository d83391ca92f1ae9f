import Checkpoints
import Encoders
import Foundation

/// A run's configuration as the `opts` dict of an encoder checkpoint (`vars(opts)` in the official coaches): every
/// option under its official name, `output_size` resolved, and, for encoders other than the official widths, those
/// widths as a JSON string under `StyleEncoderConfiguration.optionKey`, where `EncoderCheckpoint.load` reads them.
enum EncoderTrainingOpts {
    static func value(_ config: EncoderTrainingConfig, outputSize: Int, widths: StyleEncoderConfiguration,
                      clcae: CLCAE.Design? = nil) throws -> CheckpointValue
    {
        var resolved = config
        resolved.outputSize = outputSize
        let data = try JSONEncoder().encode(resolved)
        guard case .object(let entries) = try JSONDecoder().decode(JSONValue.self, from: data) else {
            throw EncoderTrainingError("the configuration does not encode as an object")
        }
        var options = entries.sorted { $0.key < $1.key }.map { (key: CheckpointValue.string($0.key), value: $0.value.checkpointValue) }
        if config.method == .e4e {
            // e4e's scripts read the generator's size from `stylegan_size`.
            options.append((key: .string("stylegan_size"), value: .int(outputSize)))
        }
        if widths != .official {
            options.append((key: .string(StyleEncoderConfiguration.optionKey), value: .string(try widths.optionValue())))
        }
        if let clcae, clcae != .released {
            options.append((key: .string(CLCAE.Design.optionKey), value: .string(try clcae.optionValue())))
        }
        return .dict(options)
    }
}

/// A JSON value with booleans and integers kept apart from doubles.
private enum JSONValue: Decodable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var checkpointValue: CheckpointValue {
        switch self {
        case .null: .none
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .float(d)
        case .string(let s): .string(s)
        case .array(let a): .list(a.map(\.checkpointValue))
        case .object(let o): .dict(o.sorted { $0.key < $1.key }.map { (key: .string($0.key), value: $0.value.checkpointValue) })
        }
    }
}
