"""Dataset builders: the shared Hub-folder writer and one module per benchmark."""

from vlmsafety.builders.hubfolder import SPLIT, ConfigWriter, HubFolderWriter

__all__ = ["SPLIT", "ConfigWriter", "HubFolderWriter"]
