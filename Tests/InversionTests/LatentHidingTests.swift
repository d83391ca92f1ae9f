import Images
import Inversion
import TestSupport
import Testing
import Torch

/// E2Style's secure deep hiding: the syndrome-trellis code and the latent message.
@Suite("Secure deep hiding")
struct LatentHidingTests {
    init() throws { try Runtime.start() }

    /// A stream of bits from a seed.
    static func bits(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(state >> 63)
        }
    }

    /// Extraction gives back the message, and the trellis changes far fewer cover bits than writing the message into
    /// them would (m / 2 on average): at rate 1/20 the bound is about 113 changes for 1000 bits (H⁻¹(0.05) of 20000).
    @Test func embeddingIsExtractedAndChangesFewBits() throws {
        let code = try SyndromeTrellisCode()
        let cover = Self.bits(20_000, seed: 1), message = Self.bits(1_000, seed: 2)
        let stego = try code.embed(cover: cover, message: message)
        #expect(try code.extract(stego, length: message.count) == message)
        let changed = zip(cover, stego).filter { $0 != $1 }.count
        #expect(changed < 160, "\(changed) of 20000 cover bits changed for 1000 message bits")
        #expect(stego[(1_000 * 20)...] == cover[(1_000 * 20)...], "bits past m · w stay")
        // Small heights and rates near 1 still embed exactly.
        let small = try SyndromeTrellisCode(height: 3)
        let dense = Self.bits(300, seed: 3)
        #expect(try small.extract(small.embed(cover: Self.bits(330, seed: 4), message: dense), length: 300) == dense)
        #expect(throws: InversionError.self) { _ = try code.embed(cover: Self.bits(10, seed: 5), message: message) }
    }

    /// 9 bits per value: the sign and the rounded magnitude, clamped to 255.
    @Test func latentCodesRoundTripRounded() throws {
        let latent = try Tensor([Float(-3.4), 2.5, 0.49, -0.5, 254.6, 400, -7.51, 12], shape: [2, 4])
        let bits = try LatentHiding.message(for: latent)
        #expect(bits.count == 72 && Array(bits[0..<9]) == [1, 0, 0, 0, 0, 0, 0, 1, 1])
        let back = try LatentHiding.latent(from: bits, shape: [2, 4])
        #expect(try back.floats() == [-3, 2, 0, 0, 255, 255, -8, 12])

        let cover = try Image(width: 32, height: 32, channels: 3, bitDepth: 8,
                              pixels: Self.bits(32 * 32 * 3 * 8, seed: 6).chunked8())
        let stego = try LatentHiding.hide(latent, in: cover)
        #expect(zip(cover.pixels, stego.pixels).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
        #expect(try LatentHiding.reveal(stego, shape: [2, 4]).floats() == back.floats())
        let tiny = try Image(width: 2, height: 2, channels: 3, bitDepth: 8, pixels: [UInt16](repeating: 9, count: 12))
        #expect(throws: InversionError.self) { _ = try LatentHiding.hide(latent, in: tiny) }
    }
}

extension Array where Element == UInt8 {
    /// Bytes of 8 bits each, as 8-bit samples.
    fileprivate func chunked8() -> [UInt16] {
        stride(from: 0, to: count, by: 8).map { start in (0..<8).reduce(UInt16(0)) { $0 << 1 | UInt16(self[start + $1]) } }
    }
}
