#pragma once
// Internals of schema/.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "schema/schema.h"

namespace glassbox::schema {

// Walks a document from the root and fills Schema::nodes_ (friend of Schema).
class PlanBuilder {
 public:
  explicit PlanBuilder(Schema& schema);
  Result<const Node*> Build(const std::string& pointer);
  // Every problem found, in document order: Build goes on past a bad property, so that lint
  // can report them all at once (Build's status is the first).
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  Status Error(const std::string& pointer, const std::string& what);
  Status Fill(const nlohmann::json& node, const std::string& pointer, Node* out);
  Status FillLeaf(const nlohmann::json& node, const std::string& pointer, Node* out);
  Status FillObject(const nlohmann::json& node, const std::string& pointer, Node* out);
  Status FillArray(const nlohmann::json& node, const std::string& pointer, Node* out);

  static constexpr int kMaxDepth = 64;
  Schema& schema_;
  std::map<std::string, const Node*> built_;  // by JSON pointer, so $ref cycles terminate
  std::set<std::string> resolving_;           // $ref nodes being followed right now
  int depth_ = 0;
  std::vector<std::string> problems_;
};

}  // namespace glassbox::schema

#include <functional>
#include <optional>

namespace glassbox::schema {
// One step of valijson's error context ("[name]" or "[0]"; a quoted name loses its quotes) as
// the name or index it holds; nullopt for anything else ("<root>").
std::optional<std::string> ContextStep(const std::string& step);

// Parses every schema file under `dir` in path order and hands each to `add`. A file that
// cannot be read or parsed stops the walk with its error, unless `bad_file` is given: then it
// receives the error and the walk goes on (lint reports every file).
Status ForEachSchemaFile(const std::string& dir,
                         const std::function<Status(nlohmann::json, std::string)>& add,
                         const std::function<void(const Status&)>& bad_file = nullptr);
}  // namespace glassbox::schema
