#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
#include <libpq-fe.h>
// Readiness of libpq's sockets for the non-blocking path (PQ/PQPoller.swift); Swift's Glibc
// module does not carry epoll.
#include <sys/epoll.h>
#endif
