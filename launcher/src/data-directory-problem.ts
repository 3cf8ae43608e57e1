/**
 * Turns the reason the embedded replica set failed to start on a data directory that already
 * held data into one message saying what to do, or undefined when the reason is not about the
 * data (a missing library, a CPU without AVX, a timeout), so that the caller shows it as it is.
 *
 * The reasons come as mongodb-memory-server words them: it passes on mongod's text only for some
 * failures ("DBException in initAndListen", "***aborting after"), and otherwise just the exit
 * code, e.g. 62 for data files written by an incompatible version.
 */
export function dataDirectoryProblem(dataDir: string, failure: string): string | undefined {
  if (NOT_ABOUT_DATA.some((pattern) => pattern.test(failure))) return undefined;
  const cause = relevantLine(failure);
  const start = `The embedded MongoDB could not start on the data in ${dataDir}`;
  const afresh = `Move ${dataDir} away or delete it to start afresh (its users are lost), or set EMBEDDED_MONGO_DIR to another directory.`;

  if (/DBPathInUse|Another mongod instance is already running/i.test(failure)) {
    return `${start}: another mongod is using it (${cause}). Stop that one (another npm start?), or set EMBEDDED_MONGO_DIR and EMBEDDED_MONGO_PORT to run a second one beside it.`;
  }
  const setName = /replica set with name (\S+), but command line reports (\S+?);/i.exec(failure);
  if (setName) {
    return `${start}: it belongs to a replica set named ${setName[1]}, and the embedded one is named ${setName[2]} (${cause}). ${afresh}`;
  }
  if (/maps to this node|NodeNotFound/i.test(failure)) {
    return (
      `${start}: its replica set configuration names another port than this mongod's, so it was made with another ` +
      `EMBEDDED_MONGO_PORT, or that port was taken and mongodb-memory-server chose another (${cause}). ` +
      `Start it with the port it was made with, and free that port. ${afresh}`
    );
  }
  if (VERSION_MISMATCH.some((pattern) => pattern.test(failure))) {
    return (
      `${start}: it was written by another MongoDB major version (${cause}). Run the mongod version that wrote it ` +
      `(MONGOMS_SYSTEM_BINARY=/path/to/mongod, or MONGOMS_VERSION=<version> to have that one downloaded). ${afresh}`
    );
  }
  return (
    `${start}: it was written by another MongoDB major version, or it is damaged (${cause}). ${afresh} ` +
    'Or run the mongod version that wrote it via MONGOMS_SYSTEM_BINARY / MONGOMS_VERSION.'
  );
}

const NOT_ABOUT_DATA = [
  /address already in use|Port "\d+" already in use/i,
  /library is missing or cannot be opened|cannot open shared object|libcurl\d? is not available/i,
  /SIGILL/,
  /failed to start within \d+ms/i,
  /\bspawn\b.*\b(ENOENT|EACCES)\b/i,
];

/** What mongod says when the data files were written by a version it cannot run on. */
const VERSION_TEXT = [
  /featureCompatibilityVersion/i,
  /UPGRADE PROBLEM/i,
  /Wrong mongod version/i,
  /unsupported (?:upgrade|downgrade)|under any compatibility version/i,
  /too recent to start up on the existing data files/i,
];

// mongod's exit code 62: the data files are incompatible with this version of mongod.
const VERSION_MISMATCH = [/code "?62\b/, ...VERSION_TEXT];

/** The line that says what went wrong, without mongodb-memory-server's wrapping. */
function relevantLine(failure: string): string {
  const lines = failure
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^Instance Failed to start with .*Original Error:$/i.test(line));
  const telling = [...VERSION_TEXT, /DBPathInUse/i, /replica set with name/i, /maps to this node/i];
  const exit = /closed unexpectedly with code "(\d+)"/i.exec(failure);
  const line =
    lines.find((candidate) => telling.some((pattern) => pattern.test(candidate))) ??
    (exit ? `mongod exited with code ${exit[1]}` : lines[0]) ??
    'no reason given';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
