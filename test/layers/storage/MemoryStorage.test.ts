import * as MemoryStorage from "../../../src/layers/storage/MemoryStorage.ts"
import { storageContract } from "./StorageContract.ts"

storageContract("MemoryStorage", MemoryStorage.layer)
