// The store's schema (docs/store.md describes every table and column) and its migrations.
// PRAGMA user_version holds the schema version; the writer migrates an older file in place,
// readers refuse a file they do not understand instead of misreading it.
#pragma once

#include "store/sqlite_db.h"

namespace otelbpf::store {

inline constexpr int kSchemaVersion = 1;

// Writer side: creates the tables in an empty file or migrates an older one to kSchemaVersion.
// Throws StoreError when the file was written by a newer otelbpf (a higher version).
void CreateOrMigrate(Database& db);

// Reader side: throws StoreError with advice when the file is not a store of this version.
void CheckReadable(Database& db);

// Pragmas every connection sets: WAL (readers never block the writer nor see half a batch),
// foreign keys off (the writer keeps them right itself; checking costs per row).
void ConfigureConnection(Database& db, bool writer);

}  // namespace otelbpf::store
