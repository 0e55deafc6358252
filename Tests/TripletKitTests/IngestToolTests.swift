// mnist-prep on archives and CSV files, run as a user would: the summary lines, exit
// statuses, usage errors, and no output left behind on failure.

import Foundation
import Testing
@testable import TripletKit
import TripletKitIngest

@Suite(.serialized) struct IngestToolTests {
    @Test func zipPackSummarizesSkips() throws {
        let folder = try TemporaryFolder()
        let digit = TestPNG.encode(width: 28, height: 28, colorType: .gray, bitDepth: 8, samples: FixtureDigits.pixels(0))
        let archive = folder.file("digits.zip")
        try ZipWriter.write([("digits/train/0/a.png", digit), ("digits/train/2/b.png", digit),
                             ("digits/test/0/c.png", digit), ("__MACOSX/digits/train/0/._a.png", [0, 5, 22, 7]),
                             ("digits/train/readme.txt", Array("MNIST".utf8))], to: archive)
        let output = folder.file("train.tkpack")
        let run = try Tools.run("mnist-prep", [archive, "-o", output, "--channels", "3", "--size", "32x32"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("2 images of 3x32x32, 3 classes (0=1 1=0 2=1)"))
        #expect(run.standardError.contains("split folder 'digits/train'; other splits: test (1 images)"))
        #expect(run.standardError.contains("warning: class '1' has no images"))
        #expect(run.standardError.contains("skipped 2 entries: 1 operating-system metadata (__MACOSX/digits/train/0/._a.png); 1 not an image (digits/train/readme.txt)"))

        let verify = try Tools.run("mnist-prep", ["verify", output])
        #expect(verify.status == 0)
    }

    @Test func badArchiveExits1WithoutOutput() throws {
        let folder = try TemporaryFolder()
        let archive = folder.file("download.zip")
        try Data("<html>rate limited</html>".utf8).write(to: URL(fileURLWithPath: archive))
        let run = try Tools.run("mnist-prep", [archive, "-o", folder.file("out.tkpack")])
        #expect(run.status == 1)
        #expect(run.standardError.contains("'\(archive)': not a zip archive"))
        #expect(run.standardError.contains("Hint: "))
        #expect(folder.contents == ["download.zip"])
    }

    @Test func csvPacksFromCommandLine() throws {
        let folder = try TemporaryFolder()
        let input = folder.file("train.csv")
        let header = "label," + (0..<784).map { "pixel\($0)" }.joined(separator: ",")
        let row = "7," + FixtureDigits.pixels(0).map { "\($0)" }.joined(separator: ",")
        try Data((header + "\n" + row + "\n").utf8).write(to: URL(fileURLWithPath: input))
        let run = try Tools.run("mnist-prep", [input, "-o", folder.file("out.tkpack")])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("1 image of 1x28x28, 1 class (7=1)"))
    }

    @Test func conflictingOptionsExit64() throws {
        let both = try Tools.run("mnist-prep", ["x.zip", "--images", "a", "--labels", "b", "-o", "o"])
        #expect(both.status == 64)
        let transpose = try Tools.run("mnist-prep", ["x.zip", "--transpose", "-o", "o"])
        #expect(transpose.status == 64)
        #expect(transpose.standardError.contains("'--transpose' does not apply"))
        let size = try Tools.run("mnist-prep", ["x.zip", "--size", "32", "-o", "o"])
        #expect(size.status == 64)
        #expect(size.standardError.contains("invalid value '32' for '--size'"))
        let channels = try Tools.run("mnist-prep", ["x.zip", "--channels", "2", "-o", "o"])
        #expect(channels.status == 64)
        let help = try Tools.run("mnist-prep", ["--help"])
        #expect(help.standardOutput.contains("INTER_AREA"))
    }
}
