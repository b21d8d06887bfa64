// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title AnchorRegistry
/// @notice Public, append-only record of transparency-log checkpoints for a consortium of agencies.
/// @dev Only hashes reach the chain: a log origin hash, a tree size and a Merkle root. The admin
///      (the consortium) keeps an allow-list of agency writer addresses; each log origin is bound to
///      the first writer that anchors it, and its tree size may only grow.
contract AnchorRegistry {
    struct Anchor {
        uint64 treeSize;
        bytes32 rootHash;
        uint64 blockNumber;
    }

    address public admin;
    mapping(address => bool) public writers;
    mapping(bytes32 => address) public originWriter;
    mapping(bytes32 => Anchor) public latest;
    mapping(bytes32 => mapping(uint64 => bytes32)) public rootAt;
    /// @notice The block that anchored each (origin, tree size), so its event is found without a scan.
    mapping(bytes32 => mapping(uint64 => uint64)) public blockAt;

    event WriterChanged(address indexed writer, bool allowed);
    event AdminChanged(address indexed admin);
    event CheckpointAnchored(
        bytes32 indexed originHash,
        uint64 indexed treeSize,
        bytes32 rootHash,
        address writer
    );

    error NotAdmin();
    error NotWriter();
    error OriginOwnedByAnotherWriter();
    error TreeSizeMustGrow(uint64 latest, uint64 given);
    error ZeroAddress();

    constructor() {
        admin = msg.sender;
        emit AdminChanged(msg.sender);
    }

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin();
        _;
    }

    function setWriter(address writer, bool allowed) external onlyAdmin {
        if (writer == address(0)) revert ZeroAddress();
        writers[writer] = allowed;
        emit WriterChanged(writer, allowed);
    }

    function transferAdmin(address newAdmin) external onlyAdmin {
        if (newAdmin == address(0)) revert ZeroAddress();
        admin = newAdmin;
        emit AdminChanged(newAdmin);
    }

    /// @notice Anchor the checkpoint (treeSize, rootHash) of the log named by originHash.
    function anchor(bytes32 originHash, uint64 treeSize, bytes32 rootHash) external {
        if (!writers[msg.sender]) revert NotWriter();
        address owner = originWriter[originHash];
        if (owner == address(0)) {
            originWriter[originHash] = msg.sender;
        } else if (owner != msg.sender) {
            revert OriginOwnedByAnotherWriter();
        }
        Anchor storage last = latest[originHash];
        if (last.blockNumber != 0 && treeSize <= last.treeSize) {
            revert TreeSizeMustGrow(last.treeSize, treeSize);
        }
        latest[originHash] = Anchor(treeSize, rootHash, uint64(block.number));
        rootAt[originHash][treeSize] = rootHash;
        blockAt[originHash][treeSize] = uint64(block.number);
        emit CheckpointAnchored(originHash, treeSize, rootHash, msg.sender);
    }

    /// @notice Whether the log named by originHash was anchored at treeSize with exactly rootHash.
    function isAnchored(bytes32 originHash, uint64 treeSize, bytes32 rootHash)
        external
        view
        returns (bool)
    {
        return rootHash != bytes32(0) && rootAt[originHash][treeSize] == rootHash;
    }
}
