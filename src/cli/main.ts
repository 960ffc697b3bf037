#!/usr/bin/env node
/**
 * The `doip` command: `serve`, and the client commands.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import { Command } from "effect/cli"
import { packageVersion } from "../server/ServerInfo.ts"
import { commands } from "./ClientCommands.ts"
import { interruptEndsCleanly } from "./Output.ts"
import { serve } from "./ServeCommand.ts"

const doip = Command.make("doip").pipe(
  Command.withDescription("DOIP server and client for FAIR Digital Objects"),
  Command.withSubcommands([serve, ...commands])
)

doip.pipe(
  Command.run({ version: packageVersion }),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({
    // Ctrl-C ends `watch` as it should end: exit code 0
    teardown: (exit, onExit) =>
      Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) && interruptEndsCleanly()
        ? onExit(0)
        : Runtime.defaultTeardown(exit, onExit)
  })
)
