import Testing
import TallyAdapters

/// The completeness rule of `tally import watch`, poll by poll.
@Suite struct WatchFolderStateTests {
    typealias Seen = WatchFolderState.Observation

    @Test func aFileIsTakenOnlyOnceTwoPollsSawItUnchanged() {
        var state = WatchFolderState()
        #expect(state.poll([Seen(name: "a.csv", size: 10, modified: 1)]) == [])
        #expect(state.poll([Seen(name: "a.csv", size: 10, modified: 1)]) == ["a.csv"])
    }

    @Test func aFileStillBeingWrittenWaitsUntilItStandsStill() {
        var state = WatchFolderState()
        #expect(state.poll([Seen(name: "a.csv", size: 10, modified: 1)]) == [])
        #expect(state.poll([Seen(name: "a.csv", size: 20, modified: 2)]) == [], "grew: still being written")
        #expect(state.poll([Seen(name: "a.csv", size: 20, modified: 3)]) == [], "touched again, same size")
        #expect(state.poll([Seen(name: "a.csv", size: 20, modified: 3)]) == ["a.csv"])
    }

    @Test func partialAndHiddenNamesAreNeverTaken() {
        var state = WatchFolderState()
        let listing = [
            Seen(name: "a.csv.part", size: 1, modified: 1), Seen(name: ".a.csv", size: 1, modified: 1),
            Seen(name: "a.csv.tmp", size: 1, modified: 1), Seen(name: "a.csv~", size: 1, modified: 1),
            Seen(name: "a.partial", size: 1, modified: 1),
        ]
        _ = state.poll(listing)
        #expect(state.poll(listing) == [])
        #expect(WatchFolderState.isCandidate("a.csv"))
        #expect(WatchFolderState.isCandidate("part.csv"))
        #expect(!WatchFolderState.isCandidate("a.csv.part"))
    }

    @Test func aRenamedPartFileCountsFromItsNewName() {
        var state = WatchFolderState()
        _ = state.poll([Seen(name: "a.csv.part", size: 5, modified: 1)])
        _ = state.poll([Seen(name: "a.csv.part", size: 5, modified: 1)])
        #expect(state.poll([Seen(name: "a.csv", size: 5, modified: 1)]) == [], "first seen under its final name")
        #expect(state.poll([Seen(name: "a.csv", size: 5, modified: 1)]) == ["a.csv"])
    }

    @Test func aFileGoneAndBackStartsAgainAndOneLeftInPlaceIsOfferedAgain() {
        var state = WatchFolderState()
        let file = Seen(name: "a.csv", size: 5, modified: 1)
        _ = state.poll([file])
        #expect(state.poll([file]) == ["a.csv"])
        #expect(state.poll([file]) == ["a.csv"], "left in place after a passing failure: offered again")
        #expect(state.poll([]) == [])
        #expect(state.poll([file]) == [], "gone then back: it must stand still again")
        #expect(state.poll([file, Seen(name: "b.csv", size: 1, modified: 1)]) == ["a.csv"])
        #expect(state.poll([Seen(name: "b.csv", size: 1, modified: 1), file]) == ["a.csv", "b.csv"], "sorted")
    }

    @Test func aMovedFileNeverReplacesAnEarlierOneOfTheSameName() {
        #expect(WatchFolderState.freeName(for: "a.csv") { _ in false } == "a.csv")
        let taken: Set = ["a.csv", "a.csv.1"]
        #expect(WatchFolderState.freeName(for: "a.csv") { taken.contains($0) } == "a.csv.2")
    }
}
