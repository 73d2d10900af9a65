import Foundation

/// What the fuzz targets share: invariant checks that stop the run, a deterministic source of
/// split points, and the corpus replayer the targets become when built without libFuzzer.
///
/// ### Why a replayer?
/// Built with `-sanitize=fuzzer` (`make fuzz`), libFuzzer supplies `main` and calls each
/// target's `LLVMFuzzerTestOneInput`. In the normal build there is no libFuzzer, so each
/// target's own `main` replays the files it is given through the same function and the same
/// invariants: `make test` runs the seed corpus and every saved finding that way.
public enum Fuzz {
    /// Stops the run when an invariant is broken; under libFuzzer the input is saved as a crash.
    public static func check(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
        line: UInt = #line
    ) {
        guard !condition() else { return }
        let text = "invariant broken at \(file):\(line): \(message())\n"
        FileHandle.standardError.write(Data(text.utf8))
        fatalError(text, file: file, line: line)
    }

    /// True when text is safe to write to a terminal: no C0 control (not even TAB), no DEL, no C1
    /// control and none of the invisible format characters that can reorder or hide text.
    public static func isTerminalSafe(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F, 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: return false
            default: return true
            }
        }
    }

    /// The non-fuzzing `main`: runs every file named (or found in a directory named) through
    /// `body`, prints how many, and exits non-zero when there was nothing to run.
    public static func replay(_ name: String, arguments: [String], _ body: ([UInt8]) -> Void) -> Never {
        let paths = arguments.filter { !$0.hasPrefix("-") }
        guard !paths.isEmpty else {
            print("usage: \(name) FILE|DIRECTORY... (the seed corpus is Fuzz/corpus/\(name))")
            exit(2)
        }
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("\(name): cannot read \(file)")
                    exit(1)
                }
                body(Array(data))
                count += 1
            }
        }
        print("\(name): \(count) inputs replayed, every invariant held")
        exit(count > 0 ? 0 : 1)
    }

    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [path] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.flatMap { files(at: path + "/" + $0) }
    }
}

/// SplitMix64 seeded from the input itself, so a run is reproducible from the input alone.
public struct FuzzRandom {
    @usableFromInline var state: UInt64

    /// Inlinable so that it is specialised for the caller's collection: unspecialised, from
    /// another module, it fetched each octet through the generic witnesses (3 % of a run).
    @inlinable
    public init(seed bytes: some Collection<UInt8>) {
        // FNV-1a over the input.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state = hash
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `range`.
    public mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// The bytes cut into pieces of 1 to `maximum` octets, as a network might deliver them.
    public mutating func chunks(_ bytes: [UInt8], maximum: Int = 16) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + next(in: 1...maximum))
            pieces.append(bytes[start..<end])
            start = end
        }
        return pieces
    }
}

#if EHLO_FUZZING
    /// libFuzzer's entry for a program that has its own `main` (compiler-rt's FuzzerInterface.h).
    @_silgen_name("LLVMFuzzerRunDriver")
    private func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    extension Fuzz {
        /// The fuzzing `main`: hands the command line and the target to libFuzzer.
        ///
        /// ### Why not libFuzzer's own `main`?
        /// SwiftPM links every executable with `main` defined as `<Module>_main` (so that tests can
        /// link executables), which leaves no room for the `main` in libFuzzer's archive; each
        /// target therefore defines `<Module>_main` and calls `LLVMFuzzerRunDriver` from it.
        public static func runLibFuzzer(
            _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
            _ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
        ) -> CInt {
            var count = argc
            var arguments = argv
            return LLVMFuzzerRunDriver(&count, &arguments, target)
        }
    }
#endif
