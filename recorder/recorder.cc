#include "glassbox/recorder.h"

#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "base/digest.h"
#include "base/ids.h"
#include "base/status_util.h"
#include "journal/consent.h"
#include "journal/journal.h"
#include "journal/recovery.h"
#include "recorder/anonymizer.h"
#include "recorder/context.h"
#include "recorder/event.h"
#include "recorder/input_guard.h"
#include "recorder/scrubber.h"
#include "recorder/write_buffer.h"
#include "schema/schema.h"

namespace glassbox {

const char* Version() noexcept { return GLASSBOX_VERSION; }

namespace {

// Buffered mode's writer appends a level-2 block's worth of events at once, written straight
// into the block, or whatever has waited this long (README.md, "Buffered mode").
constexpr std::chrono::milliseconds kBufferedHold{1000};

// A Recorder belongs to the process that opened it. A child of fork() inherits its SQLite
// connection, whose locks stay with the parent (POSIX locks are not inherited): writing
// through it could damage the journal, and closing it could checkpoint into, or delete, the
// WAL the parent is using. The child also inherits mutexes that threads which no longer exist
// (the sealer, the buffered writer) may hold. So in a child the inherited Recorder refuses
// every call without taking a lock, and its destructor leaves everything as it is.
std::atomic<uint64_t> forks_seen{0};

uint64_t ForksSoFar() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    pthread_atfork(nullptr, nullptr, [] { forks_seen.fetch_add(1, std::memory_order_relaxed); });
  });
  return forks_seen.load(std::memory_order_relaxed);
}

Status OpenedInAnotherProcess() {
  return Status::InvalidArgument(
      "glassbox: this recorder was opened before fork(); open a new Recorder in this process");
}

}  // namespace

class Recorder::Impl {
 public:
  std::unique_ptr<schema::Registry> registry;
  recorder::Scrubber scrubber;
  RecorderOptions options;
  journal::Options journal_options;
  std::unique_ptr<journal::Journal> journal;  // null after a failed reopen; retried on use
  std::string install_id;  // of the journal first opened (Recorder::install_id())
  std::atomic<journal::Consent> consent{journal::Consent::kOn};
  std::mutex mu;                                  // serializes journal access
  std::unique_ptr<recorder::WriteBuffer> buffer;  // buffered mode only; declared after mu
  std::atomic<uint64_t> recorded{0}, refused{0}, dropped{0}, skipped{0};
  uint64_t forks_at_open = ForksSoFar();
  bool Inherited() const { return forks_seen.load(std::memory_order_relaxed) != forks_at_open; }

  // Opens (recovering a damaged journal) and takes over its install id, secret and consent.
  // REQUIRES: mu held, or no other thread using this Impl yet.
  Status Attach();
  // What the journal in use gives the events written into it; replaced (not changed) when a
  // recovery brings another install id or secret, so readers need no journal lock.
  struct Identity {
    std::string context_json;
    std::map<std::string, int> context_redactions;  // added to every event's redactions
    recorder::AnonymizeOptions anonymize;
  };
  std::shared_ptr<const Identity> CurrentIdentity() {
    std::lock_guard<std::mutex> lock(identity_mu_);
    return identity_;
  }
  // REQUIRES: mu held. Appends in one transaction, recovering a damaged journal once. A bulk
  // append (the buffered writer's) writes whole blocks straight from the events.
  Status Append(const std::vector<journal::NewEvent>& events, bool bulk = false);
  Result<std::string> Write(std::string_view schema_name, std::string_view data_json,
                            const char* phase, std::string span_id);
  Result<std::string> Complete(std::string_view span_id, const FinalState& final_state);

 private:
  std::mutex identity_mu_;
  std::shared_ptr<const Identity> identity_;
  Status Usable();
  Result<std::string> Store(recorder::EventParts& parts, int64_t now_ms, journal::SpanChange span);
};

Status Recorder::Impl::Attach() {
  journal.reset();
  journal::RecoveryReport report;
  auto opened = journal::OpenOrRecover(journal_options, &report);
  if (!opened.ok()) return opened.status();
  auto key = opened.value()->GetMeta("hmac_key");
  if (!key.ok()) return key.status();
  journal = std::move(opened.value());
  if (install_id.empty()) install_id = journal->install_id();
  consent = journal::EffectiveConsent(*journal);
  auto identity = std::make_shared<Identity>();
  identity->anonymize.hmac_key = key.value();
  identity->anonymize.scrubber = scrubber;  // compiled once: it outlives a recovery
  identity->context_json =
      recorder::CollectContext(options, journal->install_id(), identity->anonymize.scrubber,
                               &identity->context_redactions)
          .dump();
  std::lock_guard<std::mutex> lock(identity_mu_);
  identity_ = std::move(identity);
  return Status::Ok();
}

// The journal to write to: reopened when a failed recovery left none, or when the file was
// moved aside by another process's recovery (or deleted), so writes land where readers look.
Status Recorder::Impl::Usable() {
  if (journal && !journal->Replaced()) return Status::Ok();
  return Attach();
}

// A journal found damaged while writing is recovered and the write tried once more: the host
// keeps recording.
Status Recorder::Impl::Append(const std::vector<journal::NewEvent>& events, bool bulk) {
  auto append = [&] {
    if (!bulk) return journal->Append(events);
    return journal->AppendFrom([&](const journal::Journal::EventSink& add) {
      for (const auto& e : events) GLASSBOX_RETURN_IF_ERROR(add(e));
      return Status::Ok();
    });
  };
  GLASSBOX_RETURN_IF_ERROR(Usable());
  Status st = append();
  if (!journal::IsDamage(st)) return st;
  journal::FileId judged = journal::FileId::Of(journal->path());
  journal->Abandon();
  journal.reset();
  journal::RecoveryReport report;
  GLASSBOX_RETURN_IF_ERROR(journal::Recover(journal_options, st.message(), judged, &report));
  GLASSBOX_RETURN_IF_ERROR(Attach());
  return append();
}

Result<std::string> Recorder::Impl::Store(recorder::EventParts& parts, int64_t now_ms,
                                          journal::SpanChange span) {
  auto identity = CurrentIdentity();
  parts.context_json = &identity->context_json;
  std::string line = recorder::BuildEventLine(parts);
  auto state = consent == journal::Consent::kLocal ? journal::EventState::kLocal
                                                   : journal::EventState::kPending;
  if (buffer) {
    if (!buffer->Enqueue({line, state, now_ms, span})) {
      ++dropped;
      return Status::Busy("glassbox: write buffer full; event dropped");
    }
    ++recorded;
    return parts.event_id;
  }
  std::lock_guard<std::mutex> lock(mu);
  Status st = Append({{line, state, now_ms, span}});
  if (!st.ok()) {
    ++dropped;
    // Name the file (errors from opening it already do).
    if (st.message().rfind("journal ", 0) == 0) return st;
    return base::Prefixed(st, "journal " + journal_options.path + ": event not stored: ");
  }
  ++recorded;
  return parts.event_id;
}

Result<std::string> Recorder::Impl::Write(std::string_view schema_name, std::string_view data_json,
                                          const char* phase, std::string span_id) {
  if (consent == journal::Consent::kOff) {
    ++skipped;
    return std::string();
  }
  auto schema = registry->Find(schema_name);
  if (!schema.ok()) {
    ++refused;
    return schema.status();
  }
  nlohmann::json input;
  Status parsed = recorder::ParseInput(data_json, schema.value()->uri(), &input);
  auto identity = CurrentIdentity();
  auto anonymized =
      parsed.ok() ? recorder::Anonymize(*schema.value(), std::move(input), identity->anonymize)
                  : Result<recorder::Anonymized>(parsed);
  if (!anonymized.ok()) {
    ++refused;
    return anonymized.status();
  }
  auto now = base::Clock::now();
  recorder::EventParts parts;
  parts.event_id = base::NewUuidV7(now);
  parts.schema = schema.value()->uri();
  parts.phase = phase;
  parts.span_id = span_id;
  parts.recorded_at = base::Rfc3339(now);
  parts.data = &anonymized->data;
  for (const auto& [kind, n] : identity->context_redactions) anonymized->redactions[kind] += n;
  parts.redactions = &anonymized->redactions;
  journal::SpanChange span;
  if (!span_id.empty()) span = {journal::SpanChange::Kind::kOpen, span_id};
  return Store(parts, base::UnixMillis(now), span);
}

Result<std::string> Recorder::Impl::Complete(std::string_view span_id,
                                             const FinalState& final_state) {
  if (consent == journal::Consent::kOff) {
    ++skipped;
    return std::string();
  }
  if (final_state.status != "success" && final_state.status != "failed" &&
      final_state.status != "aborted") {
    ++refused;
    return Status::InvalidArgument("final status must be success, failed or aborted");
  }
  if (buffer) (void)buffer->Flush();  // the started event may still be queued
  Result<journal::OpenSpan> open = Status::NotFound("");
  {
    std::lock_guard<std::mutex> lock(mu);
    Status usable = Usable();
    open = usable.ok() ? journal->FindSpan(span_id) : Result<journal::OpenSpan>(usable);
  }
  if (!open.ok()) {
    ++refused;
    return open.status();
  }
  auto started = nlohmann::json::parse(open->line, nullptr, false);
  if (started.is_discarded()) return Status::Corruption("open span " + std::string(span_id));
  auto now = base::Clock::now();
  // The started event's data was scrubbed when it was recorded; its markers are its data's
  // redactions. The context is this process's, and the host's error_type is scrubbed here.
  auto identity = CurrentIdentity();
  std::map<std::string, int> redactions = identity->context_redactions;
  recorder::CountMarkers(started["data"], redactions);
  nlohmann::json final_json = {{"status", final_state.status},
                               {"duration_ms", base::UnixMillis(now) - open->started_at_ms}};
  if (final_state.exit_code) final_json["exit_code"] = *final_state.exit_code;
  if (!final_state.error_type.empty()) {
    std::string error_type = final_state.error_type;
    if (identity->anonymize.scrubber) identity->anonymize.scrubber(error_type, redactions);
    final_json["error_type"] = error_type;
  }
  recorder::EventParts parts;
  parts.event_id = base::NewUuidV7(now);
  parts.schema = started.value("schema", "");
  parts.phase = "completed";
  parts.span_id = std::string(span_id);
  parts.recorded_at = base::Rfc3339(now);
  parts.data = &started["data"];
  parts.final_state = &final_json;
  parts.redactions = &redactions;
  return Store(parts, base::UnixMillis(now), {journal::SpanChange::Kind::kClose, span_id});
}

Recorder::Recorder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Recorder::~Recorder() {
  if (impl_ && impl_->Inherited()) {
    (void)impl_.release();  // the parent's: left untouched (and unfreed) in this child
    return;
  }
  if (!impl_) return;
  impl_->buffer.reset();  // writes out what is queued before the journal closes
  // A held tail is raw text: sealed now, so the journal at rest stays compressed.
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->journal && impl_->options.buffered) (void)impl_->journal->ReleaseTail();
}

Result<std::unique_ptr<Recorder>> Recorder::Open(const RecorderOptions& options) noexcept {
  try {
    auto impl = std::make_unique<Impl>();
    // The two costly first uses overlap: the scrubber compiles its patterns on a thread of
    // its own while this one fetches OpenSSL's digests and opens the schemas and journal.
    impl->scrubber = recorder::DefaultScrubber();
    base::PrepareDigests();
    auto registry = schema::Registry::Open(options.schema_dir);
    if (!registry.ok()) return registry.status();
    impl->registry = std::move(registry.value());
    impl->options = options;
    journal::Options& jopts = impl->journal_options;
    jopts.path = options.journal_path;
    if (jopts.path.empty()) {
      const char* env = std::getenv("GLASSBOX_JOURNAL");
      jopts.path = env && *env ? env : journal::DefaultJournalPath();
    }
    jopts.sync = options.full_durability ? journal::Sync::kFull : journal::Sync::kNormal;
    // record() pays its commit, not the compression; in buffered mode the writer thread
    // already keeps it off the host thread, and a third busy thread would slow the host.
    jopts.background_seal = !options.buffered;
    // The writer thread appends many events at a time: its tail goes straight into level-2
    // blocks, each event compressed once (journal/FORMAT.md, "Held tails").
    jopts.hold_tail = options.buffered;
    GLASSBOX_RETURN_IF_ERROR(impl->Attach());
    if (options.buffered) {
      Impl* raw = impl.get();
      impl->buffer = std::make_unique<recorder::WriteBuffer>(
          [raw](const std::vector<journal::NewEvent>& events) {
            std::lock_guard<std::mutex> lock(raw->mu);
            return raw->Append(events, /*bulk=*/true);
          },
          options.buffer_max_events,
          static_cast<size_t>(jopts.seal_events) * static_cast<size_t>(jopts.merge_blocks) *
              static_cast<size_t>(jopts.top_merge_blocks),
          kBufferedHold);
    }
    return std::unique_ptr<Recorder>(new Recorder(std::move(impl)));
  } catch (const std::exception& e) {
    return Status::IoError(std::string("glassbox: ") + e.what());
  }
}

Result<std::string> Recorder::Record(std::string_view schema, std::string_view data_json) noexcept {
  if (impl_->Inherited()) {
    ++impl_->dropped;
    return OpenedInAnotherProcess();
  }
  try {
    return impl_->Write(schema, data_json, "single", "");
  } catch (const std::exception& e) {
    ++impl_->dropped;
    return Status::IoError(std::string("glassbox: internal error: ") + e.what());
  }
}

Result<Span> Recorder::Start(std::string_view schema, std::string_view data_json) noexcept {
  if (impl_->Inherited()) {
    ++impl_->dropped;
    return OpenedInAnotherProcess();
  }
  try {
    std::string span_id = base::NewUuidV7();
    auto id = impl_->Write(schema, data_json, "started", span_id);
    if (!id.ok()) return id.status();
    Span span;
    span.recorder_ = this;
    span.id_ = id.value().empty() ? std::string() : span_id;
    return span;
  } catch (const std::exception& e) {
    ++impl_->dropped;
    return Status::IoError(std::string("glassbox: internal error: ") + e.what());
  }
}

Result<std::string> Recorder::Complete(std::string_view span_id,
                                       const FinalState& final_state) noexcept {
  if (impl_->Inherited()) {
    ++impl_->dropped;
    return OpenedInAnotherProcess();
  }
  try {
    return impl_->Complete(span_id, final_state);
  } catch (const std::exception& e) {
    ++impl_->dropped;
    return Status::IoError(std::string("glassbox: internal error: ") + e.what());
  }
}

Result<std::string> Span::Complete(const FinalState& final_state) noexcept {
  if (!recorder_ || id_.empty()) return std::string();  // consent was off at Start
  return recorder_->Complete(id_, final_state);
}

Status Recorder::Flush() noexcept {
  if (impl_->Inherited()) return OpenedInAnotherProcess();
  try {
    return impl_->buffer ? impl_->buffer->Flush() : Status::Ok();
  } catch (const std::exception& e) {
    return Status::IoError(std::string("glassbox: internal error: ") + e.what());
  }
}

RecorderCounters Recorder::counters() const noexcept {
  uint64_t buffer_failed =
      impl_->buffer && !impl_->Inherited() ? impl_->buffer->failed_events() : 0;
  return {impl_->recorded.load() - buffer_failed, impl_->refused.load(),
          impl_->dropped.load() + buffer_failed, impl_->skipped.load()};
}

const std::string& Recorder::install_id() const noexcept { return impl_->install_id; }

}  // namespace glassbox
