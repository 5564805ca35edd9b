# An export loads in R (tests/export/run; docs/DATA.md):
#   Rscript check.R EXPORT_DIR participants.csv=N episodes.csv=N frames.csv=N events.csv=N
# Each table must read with read.csv into the expected rows and as many columns as its
# header has; integer columns must come in numeric, and scores must add up.
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
bad <- 0
for (a in args[-1]) {
  kv <- strsplit(a, "=", fixed = TRUE)[[1]]
  d <- read.csv(file.path(dir, kv[1]), check.names = FALSE, stringsAsFactors = FALSE)
  header <- strsplit(readLines(file.path(dir, kv[1]), n = 1), ",", fixed = TRUE)[[1]]
  if (nrow(d) != as.integer(kv[2]) || ncol(d) != length(header)) {
    cat("problem:", kv[1], nrow(d), "rows x", ncol(d), "columns, expected", kv[2], "x", length(header), "\n")
    bad <- bad + 1
  }
  assign(sub(".csv", "", kv[1], fixed = TRUE), d)
}
for (col in c("frame", "reward.0", "reward.team", "t_ms"))
  if (!is.numeric(frames[[col]])) { cat("problem: frames", col, "is", class(frames[[col]]), "\n"); bad <- bad + 1 }
team <- aggregate(frames[["reward.team"]], by = list(game = frames$game, episode = frames$episode), FUN = sum)
m <- merge(episodes, team, by = c("game", "episode"))
if (nrow(m) != nrow(episodes) || any(m$x != m[["score.team"]])) { cat("problem: score.team\n"); bad <- bad + 1 }
if (any(frames[["reward.0"]] + ifelse(is.na(frames[["reward.1"]]), 0, frames[["reward.1"]]) != frames[["reward.team"]])) {
  cat("problem: reward.team is not the seats' sum\n"); bad <- bad + 1
}
if (!is.character(participants$subject)) { cat("problem: subject is not text\n"); bad <- bad + 1 }
t <- as.POSIXct(participants$t_start_iso, format = "%Y-%m-%dT%H:%M:%OS", tz = "UTC")
if (any(is.na(t)) || any(abs(as.numeric(t) * 1000 - participants$t_start) > 1)) {
  cat("problem: t_start_iso does not parse to t_start\n"); bad <- bad + 1
}
cat(sprintf("%d participants, %d episodes, %d frames, %d events read; %s\n", nrow(participants),
            nrow(episodes), nrow(frames), nrow(events), if (bad == 0) "all as expected" else "PROBLEMS"))
quit(status = if (bad == 0) 0 else 1)
