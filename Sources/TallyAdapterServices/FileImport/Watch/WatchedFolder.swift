import Foundation
import TallyAdapters

/// The filesystem side of `tally import watch`: lists the folder's regular
/// files with their size and modification time, and files each one away
/// into `done/` or `failed/` (by rename, in the same filesystem) with its
/// sibling note or reason file.
struct WatchedFolder {
    let path: String
    var done: String { path + "/done" }
    var failed: String { path + "/failed" }

    /// Checks the folder exists and makes `done/` and `failed/`.
    init(path: String) throws(ImportFailure) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImportFailure("the watched folder \(path) does not exist or is not a folder")
        }
        self.path = path
        for folder in [done, failed] {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ImportFailure("cannot make \(folder): \(error.localizedDescription)")
            }
        }
    }

    /// The regular files directly in the folder (not `done/`, `failed/`,
    /// links or anything else).
    func list() throws(ImportFailure) -> [WatchFolderState.Observation] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ImportFailure("cannot list \(path): \(error.localizedDescription)")
        }
        return names.compactMap { name in
            var info = stat()
            guard lstat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            return WatchFolderState.Observation(name: name, size: UInt64(info.st_size), modified: modified)
        }
    }

    /// Moves `name` into `done/` (with `note`, if any, beside it as
    /// `<name>.note`) and returns where it went.
    func moveToDone(_ name: String, note: String? = nil) throws(ImportFailure) -> String {
        try move(name, into: done, sibling: note.map { ("note", $0) })
    }

    /// Moves `name` into `failed/` with `<name>.reason` beside it, and
    /// `rejects` (a rejects file, if the import wrote one) as
    /// `<name>.rejects.csv`.
    func moveToFailed(_ name: String, reason: String, rejects: String? = nil) throws(ImportFailure) -> String {
        let target = try move(name, into: failed, sibling: ("reason", reason))
        if let rejects, FileManager.default.fileExists(atPath: rejects) {
            try? FileManager.default.moveItem(atPath: rejects, toPath: target + ".rejects.csv")
        }
        return target
    }

    private func move(_ name: String, into folder: String, sibling: (suffix: String, text: String)?) throws(ImportFailure) -> String {
        let free = WatchFolderState.freeName(for: name) { candidate in
            FileManager.default.fileExists(atPath: folder + "/" + candidate)
                || (sibling.map { FileManager.default.fileExists(atPath: folder + "/" + candidate + "." + $0.suffix) } ?? false)
        }
        let target = folder + "/" + free
        // The reason first: a file in failed/ always has its reason beside it.
        if let sibling {
            guard FileManager.default.createFile(atPath: target + "." + sibling.suffix, contents: Data((sibling.text + "\n").utf8)) else {
                throw ImportFailure("cannot write \(target).\(sibling.suffix)")
            }
        }
        do {
            try FileManager.default.moveItem(atPath: path + "/" + name, toPath: target)
        } catch {
            throw ImportFailure("cannot move \(path)/\(name) to \(target): \(error.localizedDescription)")
        }
        return target
    }
}
