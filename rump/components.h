// The kernel's components by NetBSD library name, so that rump_server's
// `-lrumpnet_shmif` and a program's link line pick the same pieces.
//
// Names follow NetBSD's rump libraries: "rumpnet" (network base),
// "rumpnet_net" (interfaces, routing, lo0), "rumpnet_netinet" (IPv4),
// "rumpnet_shmif" (shmif interfaces), "rumpdev", "rumpvfs", ... A name that
// this project folds into another one maps to the same component.
#ifndef RUMP_COMPONENTS_H_
#define RUMP_COMPONENTS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rump/kern/kernel.h"

namespace rump {

using ComponentFactory = std::function<std::unique_ptr<Component>()>;

// The factories for the named libraries, in boot order, without duplicates.
// NotFound names the first unknown library.
absl::StatusOr<std::vector<ComponentFactory>> ComponentsFor(
    const std::vector<std::string>& library_names);

// Every component (what rump_allserver and rump_init() boot).
std::vector<ComponentFactory> AllComponents();

}  // namespace rump

#endif  // RUMP_COMPONENTS_H_
