/// Binary syndrome-trellis codes (Filler, Judas and Fridrich, "Minimizing additive distortion in steganography using
/// syndrome-trellis codes", 2011), the embedding E2Style's secure deep hiding runs through its MATLAB toolbox.
///
/// The parity-check matrix H is built from an h x w submatrix Ĥ placed down its diagonal, one copy per message bit;
/// the stego bits y are the cover bits x changed at the least total cost such that H y = m. Embedding is the Viterbi
/// search over the 2^h-state trellis; extraction is H y. The message rate is 1 / w: m message bits take m · w cover
/// bits (the rest stay as they are).
///
/// Ĥ's columns here come from a fixed seeded stream (each with its top and bottom rows set, as the construction
/// requires), not from the toolbox's table of searched matrices: stego images are read back by this implementation.
public struct SyndromeTrellisCode: Sendable {
    /// Constraint height h (the toolbox call's 10): 2^h trellis states.
    public let height: Int

    public init(height: Int = 10) throws {
        guard (1...20).contains(height) else { throw InversionError.invalidOption("the STC height must be in 1...20, got \(height)") }
        self.height = height
    }

    /// Ĥ's w columns as h-bit masks.
    func submatrix(width: Int) -> [UInt32] {
        var state: UInt64 = 0x5354_4300 &+ UInt64(height) &* 0x1_0000 &+ UInt64(width)
        let top = UInt32(1) << (height - 1)
        return (0..<width).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return (UInt32(truncatingIfNeeded: z) & (top &* 2 &- 1)) | top | 1
        }
    }

    /// Columns per message bit for `message` bits in `cover` bits.
    static func width(message: Int, cover: Int) throws -> Int {
        guard message >= 1, cover >= message else {
            throw InversionError.invalidOption("\(message) message bits do not fit in \(cover) cover bits")
        }
        return cover / message
    }

    /// The stego bits: `cover` (0/1) changed at the fewest places (each change costs the same, as the toolbox call's
    /// profile of ones) so that `extract` gives `message` (0/1).
    public func embed(cover: [UInt8], message: [UInt8]) throws -> [UInt8] {
        let m = message.count, w = try Self.width(message: m, cover: cover.count)
        let columns = submatrix(width: w)
        let states = 1 << height
        let infinity = Float.infinity
        var weight = [Float](repeating: infinity, count: states)
        weight[0] = 0
        var next = weight
        // One bit per (cover position, state): was y = 1 taken into this state?
        let words = (states + 63) / 64
        var path = [UInt64](repeating: 0, count: m * w * words)
        for i in 0..<m {
            // Near the end only the rows of H that still meet message bits count.
            let mask = UInt32(min(states, 1 << min(height, m - i)) - 1)
            for j in 0..<w {
                let position = i * w + j
                let column = Int(columns[j] & mask)
                let (keep, flip): (Float, Float) = cover[position] == 0 ? (0, 1) : (1, 0)
                let base = position * words
                for k in 0..<states {
                    let stay = weight[k] + keep, take = weight[k ^ column] + flip
                    if take < stay {
                        next[k] = take
                        path[base + k >> 6] |= 1 << UInt64(k & 63)
                    } else {
                        next[k] = stay
                    }
                }
                swap(&weight, &next)
            }
            // The state's lowest bit is message bit i: keep the matching states, shifted down.
            let wanted = Int(message[i] & 1)
            for k in 0..<(states / 2) { next[k] = weight[2 * k + wanted] }
            for k in (states / 2)..<states { next[k] = infinity }
            swap(&weight, &next)
        }
        guard weight[0] < infinity else { throw InversionError.invalidOption("the message cannot be embedded in this cover") }
        // Back through the trellis from state 0.
        var stego = cover
        var state = 0
        for i in stride(from: m - 1, through: 0, by: -1) {
            state = (state << 1 | Int(message[i] & 1)) & (states - 1)
            let mask = UInt32(min(states, 1 << min(height, m - i)) - 1)
            for j in stride(from: w - 1, through: 0, by: -1) {
                let position = i * w + j
                let took = path[position * words + state >> 6] >> UInt64(state & 63) & 1 == 1
                stego[position] = took ? 1 : 0
                if took { state ^= Int(columns[j] & mask) }
            }
        }
        return stego
    }

    /// H y: the message of `length` bits that `stego` (0/1) carries.
    public func extract(_ stego: [UInt8], length: Int) throws -> [UInt8] {
        let w = try Self.width(message: length, cover: stego.count)
        let columns = submatrix(width: w)
        var state: UInt32 = 0
        var message = [UInt8](repeating: 0, count: length)
        for i in 0..<length {
            let mask = UInt32(min(1 << height, 1 << min(height, length - i)) - 1)
            for j in 0..<w where stego[i * w + j] & 1 == 1 { state ^= columns[j] & mask }
            message[i] = UInt8(state & 1)
            state >>= 1
        }
        return message
    }
}
