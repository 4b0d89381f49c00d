/**
 * The on-disk contract between a downloading engine and the upload server, which may live in
 * another process: {@link io.smalldragonfly.dfget.store.DataDir} names the files of a served task,
 * {@link io.smalldragonfly.dfget.store.PieceMap} says which pieces are on disk, and
 * {@link io.smalldragonfly.dfget.store.TaskMeta} says which supernode task they belong to.
 */
package io.smalldragonfly.dfget.store;
